"""Routes and stops are written only by the plan store (routing/plans.py): a second writer drifts from its rules."""
from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "controltower"
OWNER = PACKAGE / "routing" / "plans.py"
WRITE = re.compile(r"\b(INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+(routes|stops)\b", re.IGNORECASE)


def writers_of_plans(package: Path = PACKAGE) -> list[str]:
    """Every place outside the plan store whose SQL writes routes or stops, as "path:line: statement"."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if path == OWNER:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = WRITE.search(line)
            if match:
                found.append(f"{path.relative_to(package.parent)}:{number}: {match.group(0)}")
    return found


def test_only_the_plan_store_writes_routes_and_stops():
    assert writers_of_plans() == []


def test_the_scan_finds_a_planted_second_writer(tmp_path):
    planted = tmp_path / "controltower" / "control"
    planted.mkdir(parents=True)
    (planted / "actions.py").write_text('conn.execute("INSERT INTO stops(order_id, route_id) VALUES (?, ?)", ids)\n'
                                        'conn.execute("update routes set status = ? where id = ?", args)\n')
    assert writers_of_plans(tmp_path / "controltower") == [
        "controltower/control/actions.py:1: INSERT INTO stops", "controltower/control/actions.py:2: update routes"]
