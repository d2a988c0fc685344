"""`controltower solve-vrp` keeps the benchmark contract: one JSON object on stdout, within the time budget."""
from __future__ import annotations

import json
import subprocess
import sys
import time

from .conftest import DATA


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controltower.cli", "solve-vrp", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_c101_is_solved_to_its_best_known_distance_within_the_budget():
    began = time.monotonic()
    done = run_cli(str(DATA / "C101.txt"), "--seconds", "3", "--json")
    wall = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)  # exactly one object, nothing else on stdout
    assert answer["distance"] == 827.3
    assert sorted(c for r in answer["routes"] for c in r) == list(range(1, 101))
    assert answer["unassigned"] == []
    assert 0 < answer["first_solution_seconds"] <= answer["seconds"] <= 3.0
    assert wall < 3 + 1.3  # the budget includes start-up; loose for a busy machine


def test_a_tiny_instance_gets_the_brute_force_optimum(tmp_path):
    rows = [(0, 50, 50, 0, 0, 1000, 0), (1, 60, 50, 10, 0, 1000, 5), (2, 70, 60, 10, 0, 1000, 5),
            (3, 50, 70, 10, 0, 1000, 5), (4, 30, 60, 10, 0, 1000, 5), (5, 40, 40, 10, 0, 1000, 5)]
    text = "TINY\r\n\r\nVEHICLE\r\nNUMBER     CAPACITY\r\n  2         30\r\n\r\nCUSTOMER\r\nCUST NO. XCOORD.\r\n\r\n"
    text += "".join("  ".join(str(v) for v in r) + "\r\n" for r in rows)
    path = tmp_path / "tiny.txt"
    path.write_text(text)
    done = run_cli(str(path), "--seconds", "1", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["distance"] == _brute_force_optimum(rows, capacity=30, fleet=2)


def test_an_unreadable_file_says_why_and_prints_nothing(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_text("not an instance\n")
    done = run_cli(str(path), "--seconds", "1", "--json")
    assert done.returncode != 0
    assert done.stdout == ""
    assert "cannot read the instance" in done.stderr


def _brute_force_optimum(rows, capacity: int, fleet: int) -> float:
    import itertools
    import math

    d = lambda a, b: math.floor(10 * math.hypot(rows[a][1] - rows[b][1], rows[a][2] - rows[b][2]))  # noqa: E731
    customers = [r[0] for r in rows[1:]]
    best = math.inf
    for order in itertools.permutations(customers):
        for cut in range(len(order) + 1):
            routes = [order[:cut], order[cut:]][:fleet]
            if any(sum(rows[c][3] for c in r) > capacity for r in routes):
                continue
            total = sum(d(0, r[0]) + sum(d(a, b) for a, b in zip(r, r[1:])) + d(r[-1], 0) for r in routes if r)
            best = min(best, total)
    return best / 10
