"""An extract downloaded once from an extract service (here a server of the test's own on 127.0.0.1): its size
first, then the file, checked; a page that is not an extract, a cut-off download or a stop leave nothing behind."""
import shutil
import threading

import pytest

from controltower.area.download import DownloadCancelled, DownloadFailed, download_extract, remote_size
from controltower.area.source import AreaFileError
from tests.file_server import serving


@pytest.fixture
def service(tmp_path, helsinki):
    """A local extract service: /europe/helsinki-latest.osm.pbf, and a 'login page' saved under a .osm.pbf name."""
    root = tmp_path / "site"
    (root / "europe").mkdir(parents=True)
    shutil.copy(helsinki, root / "europe" / "helsinki-latest.osm.pbf")
    (root / "europe" / "gone-latest.osm.pbf").write_text("<html><body>Please log in</body></html>")
    with serving(root) as base:
        yield f"{base}/europe"


def test_the_size_is_known_before_the_download(service):
    assert remote_size(f"{service}/helsinki-latest.osm.pbf") == 685_110


def test_the_extract_is_downloaded_with_progress_and_checked(service, tmp_path, helsinki):
    seen = []
    path = download_extract(f"{service}/helsinki-latest.osm.pbf", tmp_path / "downloads",
                            progress=lambda done, total: seen.append((done, total)))

    assert path.name == "helsinki-latest.osm.pbf" and path.read_bytes() == helsinki.read_bytes()
    assert seen[-1] == (685_110, 685_110) and len(seen) >= 2
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no .part left


def test_a_page_that_is_not_an_extract_is_refused_and_not_kept(service, tmp_path):
    with pytest.raises(AreaFileError) as refused:
        download_extract(f"{service}/gone-latest.osm.pbf", tmp_path / "downloads")
    assert "not an OpenStreetMap extract" in refused.value.message
    assert list((tmp_path / "downloads").iterdir()) == []


def test_a_missing_file_and_a_wrong_address_say_so(service, tmp_path):
    with pytest.raises(DownloadFailed) as missing:
        remote_size(f"{service}/nowhere-latest.osm.pbf")
    assert "HTTP 404" in missing.value.message
    with pytest.raises(DownloadFailed) as wrong:
        download_extract(f"{service}/index.html", tmp_path)
    assert "is not the address of an .osm.pbf extract" in wrong.value.message


def test_a_stopped_download_leaves_nothing(service, tmp_path):
    stop = threading.Event()
    stop.set()
    with pytest.raises(DownloadCancelled):
        download_extract(f"{service}/helsinki-latest.osm.pbf", tmp_path / "downloads", cancelled=stop)
    assert list((tmp_path / "downloads").iterdir()) == []
