"""The shipped Helsinki extract, and small extracts written for a test."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELSINKI = ROOT / "resources" / "areas" / "helsinki" / "Helsinki.osm.pbf"


@pytest.fixture
def helsinki() -> Path:
    return HELSINKI
