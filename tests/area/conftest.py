"""The shipped Helsinki extract, and its address index built once for the tests that search it."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELSINKI = ROOT / "resources" / "areas" / "helsinki" / "Helsinki.osm.pbf"


@pytest.fixture(scope="session")
def helsinki() -> Path:
    return HELSINKI


@pytest.fixture(scope="session")
def helsinki_addresses(tmp_path_factory) -> Path:
    from controltower.area.addresses import build_address_index

    path = tmp_path_factory.mktemp("area") / "addresses.db"
    built = build_address_index(HELSINKI, path)
    assert built["addresses"] == 584 and built["country"] == "FI"
    return path
