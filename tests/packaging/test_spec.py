"""The PyInstaller spec, read without building: it bundles every module and data file and excludes nothing in use.

The spec is run with stand-ins for PyInstaller's build steps, which only record what they are given; the
collection helpers (collect_submodules, collect_data_files) are PyInstaller's own.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "controltower.spec"


class Recorder:
    made: dict[str, "Recorder"] = {}

    def __init__(self, *args, **kwargs) -> None:
        self.args, self.kwargs = args, kwargs
        Recorder.made[type(self).__name__] = self
        self.pure, self.scripts, self.binaries = [], [], []
        self.datas = [(Path(dest, Path(src).name).as_posix(), src, "DATA")
                      for src, dest in kwargs.get("datas", [])] if "datas" in kwargs else []


def _stand_in(name: str) -> type:
    return type(name, (Recorder,), {})


@pytest.fixture(scope="module")
def spec() -> dict:
    names = {name: _stand_in(name) for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    namespace = {"SPECPATH": str(SPEC.parent), "__file__": str(SPEC), **names}
    saved_path = list(sys.path)
    try:
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    finally:
        sys.path[:] = saved_path
    return {**namespace, "made": dict(Recorder.made)}


def _source_modules() -> set[str]:
    modules = set()
    for path in (ROOT / "controltower").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules.add(".".join(parts))
    return modules


def test_every_module_of_the_app_is_bundled_even_those_only_reached_by_name(spec):
    bundled = set(spec["made"]["Analysis"].kwargs["hiddenimports"])
    missing = _source_modules() - bundled
    assert not missing, f"modules the frozen app would not contain: {sorted(missing)}"


def test_resources_and_package_data_are_bundled_where_the_code_looks_for_them(spec):
    datas = spec["made"]["Analysis"].kwargs["datas"]
    targets = {(Path(src).resolve(), dest) for src, dest in datas}
    # resources/ lands at sys._MEIPASS/resources: the map's scheme and the notification templates read it there.
    assert (ROOT / "resources", "resources") in targets
    bundled_files = {Path(src).resolve() for src, _ in datas}
    for migration in (ROOT / "controltower" / "store" / "migrations").glob("*.sql"):
        assert migration.resolve() in bundled_files, f"{migration.name} would be missing from the frozen app"


def test_no_excluded_module_is_imported_by_the_app(spec):
    excluded = spec["made"]["Analysis"].kwargs["excludes"]
    offenders = []
    for path in (ROOT / "controltower").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                if any(name == gone or name.startswith(gone + ".") for gone in excluded):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "the spec excludes modules the app uses:\n" + "\n".join(offenders)


def test_translations_and_developer_tools_are_left_out_but_chromium_keeps_english(spec):
    wanted = spec["wanted"]
    assert wanted("PySide6/Qt/translations/qtwebengine_locales/en-US.pak")
    assert not wanted("PySide6/Qt/translations/qtwebengine_locales/de.pak")
    assert not wanted("PySide6/Qt/translations/qt_de.qm")
    assert not wanted("PySide6/Qt/resources/qtwebengine_devtools_resources.pak")
    assert wanted("PySide6/Qt/resources/qtwebengine_resources.pak")
    assert wanted("resources/web/vendor/leaflet/leaflet.js")


def test_the_app_is_one_folder_named_for_the_shop_owner(spec):
    collect = spec["made"]["COLLECT"]
    assert collect.kwargs["name"] == "ControlTower"
    assert spec["made"]["EXE"].kwargs["exclude_binaries"] is True  # one folder, not one self-extracting file


def test_barcode_symbologies_that_reportlab_imports_by_name_are_bundled(spec):
    # Found by the frozen smoke test: labels.py -> reportlab.graphics.barcode, whose widgets exec
    # "from reportlab.graphics.barcode.code93 import ..." at import time; the frozen app died before its window.
    bundled = set(spec["made"]["Analysis"].kwargs["hiddenimports"])
    assert {"reportlab.graphics.barcode.code93", "reportlab.graphics.barcode.qr"} <= bundled
