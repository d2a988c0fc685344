"""docs/architecture.md is what tools/architecture.py makes of the code today: the picture never drifts."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generated() -> str:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "architecture.py")], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=120).stdout


def test_architecture_doc_is_up_to_date():
    text = generated()
    assert (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8") == text, \
        "docs/architecture.md is out of date: run .venv/bin/python tools/architecture.py --write"


def test_the_doc_draws_the_parts_rules_and_owners():
    text = generated()
    assert "```mermaid\nflowchart TB" in text
    assert "    ui -->|" in text and "| services" in text  # the UI's arrow down to the services, with its count
    assert "Carrier adapters translate, they never persist" in text  # a contract from .importlinter
    assert "| `controltower.sync.outbox` | `outbox` |" in text  # from controltower/store/owners.py
