"""Files that would lose rows or take the app down: a stale <dimension>, a zip bomb, broken sheet XML, binary junk.
Each is refused with one plain sentence (CLI, --json, the wizard's check process) or read in full; none is read in part."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from controltower.imports import GENERIC, import_file, read_table
from controltower.imports.session import CheckSession
from controltower.kernel.errors import InputError

SHEET = "xl/worksheets/sheet1.xml"


def workbook_bytes(orders: int = 10) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["order_ref", "customer_name", "street", "city", "postcode", "country"])
    for n in range(orders):
        sheet.append([f"X-{n}", f"Customer {n}", "1 Main St", "Springfield", "62701", "US"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change` (bytes -> bytes, or a writer for streaming)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for part in source.infolist():
            if part.filename == SHEET and not isinstance(change, bytes):
                body = source.read(part.filename)
                if getattr(change, "streams", False):
                    with target.open(SHEET, "w", force_zip64=True) as stream:
                        change(body, stream)
                    continue
                body = change(body)
            else:
                body = source.read(part.filename)
            target.writestr(part, body)
    return out.getvalue()


def stale_dimension(path: Path) -> Path:
    """Ten orders in a sheet whose <dimension> says A1:F3 (a header and two rows), as some exporters leave it."""
    path.write_bytes(with_sheet(workbook_bytes(10), lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:F3"', xml)))
    return path


def zip_bomb(path: Path) -> Path:
    """A workbook of ~400 KB whose one customer name unpacks to 400 MB (written in pieces, never held in memory)."""
    def change(xml: bytes, stream) -> None:
        before, after = xml.split(b"Customer 0", 1)
        stream.write(before)
        block = b"A" * (4 << 20)
        for _ in range(100):
            stream.write(block)
        stream.write(after)
    change.streams = True
    path.write_bytes(with_sheet(workbook_bytes(3), change))
    return path


def malformed_xml(path: Path) -> Path:
    path.write_bytes(with_sheet(workbook_bytes(10), lambda xml: xml[: len(xml) // 2]))  # cut off mid-tag
    return path


def bad_bytes_in_xml(path: Path) -> Path:
    """A sheet whose XML holds bytes that are not UTF-8: Python 3.12's parser stops there, and freed at exit it crashed."""
    path.write_bytes(with_sheet(workbook_bytes(10), lambda xml: xml.replace(b"Customer 3", b"Cust\xff\xfeomer")))
    return path


def junk(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 64 + b"\x1b[31mred\x1b[0m\x07")  # a binary file, with a terminal escape
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controltower.cli", "import", *args], capture_output=True, text=True,
                          timeout=120)


def test_a_stale_dimension_still_imports_every_row(store, tmp_path):
    report = import_file(store, stale_dimension(tmp_path / "stale.xlsx"), GENERIC)
    assert (report.rows, report.imported, report.rejected) == (10, 10, 0)


def test_rows_the_reader_did_not_return_are_an_error_not_a_silent_drop(tmp_path):
    # Row 5 listed after row 9: openpyxl drops such a row without a word; the row count read against the
    # sheet's own <row> tags catches it.
    def swap(xml: bytes) -> bytes:
        rows = re.findall(rb'<row r="\d+".*?</row>', xml)
        moved = rows[4]
        xml = xml.replace(moved, b"")
        return xml.replace(rows[8], rows[8] + moved)

    path = tmp_path / "unordered.xlsx"
    path.write_bytes(with_sheet(workbook_bytes(10), swap))
    with pytest.raises(InputError, match="row 5 after row 9"):
        read_table(path)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = zip_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 600_000
    with pytest.raises(InputError, match="zip bomb") as refused:
        read_table(path)
    assert "unpacks from" in refused.value.message


def test_an_overlong_cell_is_refused_with_its_row(tmp_path):
    path = tmp_path / "long.xlsx"
    path.write_bytes(with_sheet(workbook_bytes(3), lambda xml: xml.replace(b"Customer 1", b"B" * 40_000)))
    with pytest.raises(InputError, match=r"a cell of 40,000 characters in row 3"):
        read_table(path)


@pytest.mark.parametrize("make, sentence", [
    (malformed_xml, "is not a readable Excel workbook"),
    (bad_bytes_in_xml, "is not a readable Excel workbook"),  # exit 139 before
    (junk, "is not a CSV or Excel file: it holds binary data"),
    (zip_bomb, "zip bomb"),
])
def test_the_cli_refuses_a_bad_file_in_one_sentence_and_makes_no_store(tmp_path, make, sentence):
    path = make(tmp_path / f"orders.{'bin' if make is junk else 'xlsx'}")
    db = tmp_path / "new-store.db"
    plain = run_cli(str(path), "--db", str(db), "--create")
    assert plain.returncode == 2, plain.stderr
    assert plain.stdout == "" and "Traceback" not in plain.stderr and sentence in plain.stderr
    assert len(plain.stderr.strip().splitlines()) == 1 and "\x1b" not in plain.stderr and "\x07" not in plain.stderr
    as_json = run_cli(str(path), "--db", str(db), "--create", "--json")
    assert as_json.returncode == 2
    answer = json.loads(as_json.stdout)
    assert sentence in answer["error"] and answer["advice"]
    assert not db.exists() and not list(tmp_path.glob("new-store.db*"))


def test_the_wizards_check_process_says_what_is_wrong(tmp_path, qtbot):
    session = CheckSession()
    try:
        replies = []
        for make in (malformed_xml, junk, stale_dimension):
            number = session.load(make(tmp_path / f"{make.__name__}.{'bin' if make is junk else 'xlsx'}"))
            qtbot.waitUntil(lambda: any(r[1] == number for r in replies) or bool(replies.extend(session.messages())),
                            timeout=60_000)
        by_number = {r[1]: r for r in replies}
        assert by_number[1][0] == "failed" and "is not a readable Excel workbook" in by_number[1][2]
        assert "Traceback" not in by_number[1][3]
        assert by_number[2][0] == "failed" and "holds binary data" in by_number[2][2]
        assert by_number[3][0] == "loaded" and by_number[3][2].total_rows == 10
    finally:
        session.close()


def test_the_wizard_shows_a_refused_file_in_one_sentence_and_its_name_as_text(qtbot, store, tmp_path):
    from controltower.services.imports import ImportService
    from controltower.ui.imports import ImportWizard

    wizard = ImportWizard(None, ImportService(store))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.load_file(malformed_xml(tmp_path / "<img src=x onerror=alert(1)><b>orders.xlsx"))
    qtbot.waitUntil(lambda: "not a readable Excel workbook" in wizard.summary.text(), timeout=30_000)
    shown = wizard.summary.text()
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;b&gt;orders.xlsx is not a readable Excel workbook" in shown
    assert "<img" not in shown and "Traceback" not in shown
    assert not wizard.import_button.isEnabled()
