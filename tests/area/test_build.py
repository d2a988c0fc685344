"""build_area in this process: a part that fails mid-build leaves no half-built folder and the package as it was."""
import json

import pytest

from controltower.area import build
from controltower.area.build import build_area


def test_a_part_failing_mid_build_leaves_the_previous_package_untouched(helsinki, tmp_path, monkeypatch):
    out = tmp_path / "areas" / "helsinki-1"
    first = build_area(helsinki, out, parts=("addresses",))
    manifest = (out / "area.json").read_text(encoding="utf-8")

    def full_disk(pbf_path, out_path, progress=None):
        out_path.write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    real_builder = build._builder
    monkeypatch.setattr(build, "_builder", lambda module, function: full_disk if "roads" in module
                        else real_builder(module, function))
    with pytest.raises(OSError, match="No space left"):
        build_area(helsinki, out, parts=("addresses", "roads"))

    assert (out / "area.json").read_text(encoding="utf-8") == manifest
    assert sorted(p.name for p in (tmp_path / "areas").iterdir()) == ["helsinki-1"]
    assert json.loads(manifest)["parts"]["addresses"]["addresses"] == 584 and first.name == "Helsinki"


def test_a_part_not_in_this_version_is_skipped_with_a_note(helsinki, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "PARTS", build.PARTS + (("traffic", "controltower.area.traffic_lights", "build"),))
    monkeypatch.setitem(build.PART_FILES, "traffic", "traffic.db")

    package = build_area(helsinki, tmp_path / "areas" / "helsinki-1", parts=("addresses", "traffic"))

    assert package.parts["traffic"] == {"skipped": "controltower.area.traffic_lights is not in this version of the app"}
    assert package.part_path("traffic") is None and package.part_path("addresses") is not None
