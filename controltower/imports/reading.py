"""Reading a spreadsheet file (CSV in any delimiter and encoding a spreadsheet writes, or XLSX) into rows of text."""
from __future__ import annotations

import csv
import gc
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from ..kernel.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
MAX_FILE_BYTES = 512 * 1024 * 1024  # a million-row shop export is about 150 MB
MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024  # an XLSX's parts once unzipped, all together
MAX_PACKING_RATIO = 100  # spreadsheet XML packs 10-20 times; a part packed far tighter is a zip bomb
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"  # an .xls (or other Office 97) file
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # bytes no text export holds (tab, CR, LF, FF are fine)


@dataclass
class Table:
    """A file's header and rows as text; `row_number(i)` is the spreadsheet row of rows[i] (header is row 1)."""

    headers: list[str]
    rows: list[list[str]]
    source: str = ""
    encoding: str = ""
    delimiter: str = ""

    def row_number(self, index: int) -> int:
        return index + 2

    def __len__(self) -> int:
        return len(self.rows)


def read_table(path: str | Path) -> Table:
    """The file as a Table; raises InputError with a plain reason when it can't be read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path.name} is {size / 2**20:,.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MB an import takes.",
                             "Split it into smaller files and import them one after another.")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Could not open {path.name}: {exc.strerror or exc}.", "Check the file exists and is readable.") from exc
    if path.suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data, path.name)
    if data[:4] == _OLD_EXCEL:
        raise InputError(f"{path.name} is an old Excel (.xls) file, which can't be imported.",
                         "Open it in your spreadsheet and save it as .xlsx or CSV.")
    return read_csv_bytes(data, path.name)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was in: BOMs first, then UTF-16 without BOM, UTF-8, and Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    head = data[:4000]
    if head and head.count(b"\x00") > len(head) // 4:  # UTF-16 without a BOM: every other byte is zero
        encoding = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line into the most columns (ties go to the comma)."""
    first_line = text.split("\n", 1)[0]
    counts = {d: _count_outside_quotes(first_line, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def read_csv_bytes(data: bytes, source: str = "") -> Table:
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:  # a UTF-16 mark on bytes that are not UTF-16 text
        raise InputError(f"{source or 'The file'} is not a CSV or Excel file: it holds binary data, not text.",
                         "Export the orders from your shop or spreadsheet as CSV or .xlsx and pick that file.") from exc
    if not text.strip():
        raise InputError(f"{source or 'The file'} is empty.", "Export the orders again and pick the new file.")
    refuse_binary(text, source)
    delimiter = sniff_delimiter(text)
    records = []
    try:
        # A Python loop, not list(reader): list() would hold the GIL for the whole file and freeze the UI thread.
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            records.append(record)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise InputError(f"{source or 'The file'} has a cell longer than {csv.field_size_limit():,} characters near "
                             f"row {len(records) + 1}, more than an order needs.",
                             "Check that cell in your spreadsheet (a quote left open joins the rows after it).") from exc
        raise InputError(f"{source or 'The file'} is not a readable CSV file: {exc}.", "Save it again as CSV from your spreadsheet.") from exc
    return _table(records, source, encoding, delimiter)


def refuse_binary(text: str, source: str = "") -> None:
    """Raise InputError when decoded text is not text at all (a picture, a PDF, a database): its start is full of
    control characters, which no spreadsheet writes."""
    head = text[:65536]
    if len(_CONTROL.findall(head)) > max(2, len(head) // 100):
        raise InputError(f"{source or 'The file'} is not a CSV or Excel file: it holds binary data, not text.",
                         "Export the orders from your shop or spreadsheet as CSV or .xlsx and pick that file.")


def _table(records: list[list[str]], source: str, encoding: str, delimiter: str) -> Table:
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
    if not records:
        raise InputError(f"{source or 'The file'} has no header row.", "The first row should name the columns.")
    headers = [h.strip() for h in records[0]]
    width = len(headers)
    rows = []
    for record in records[1:]:
        if len(record) < width:
            record = record + [""] * (width - len(record))
        rows.append(record)
    # Trailing blank lines are a spreadsheet habit, not rows.
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return Table(headers, rows, source, encoding, delimiter)


def read_xlsx(data: bytes, source: str = "") -> Table:
    """The first sheet of a workbook. Its <dimension> is not trusted (a stale one would cut rows off): every row is
    read, and the rows read must reach the last row the sheet's XML holds, or the file is refused."""
    import openpyxl

    name = source or "The file"
    check_unpacked_sizes(data, name)
    try:
        records, expected = _read_first_sheet(openpyxl, data, name)
    except InputError as exc:
        failure = exc.with_traceback(None)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and its own types for broken files
        failure = _damaged(name, exc)
    else:
        failure = None
    if failure is not None:
        # Python 3.12's iterparse keeps the expat parser in a reference cycle; a parse stopped by an error and freed
        # only at exit crashes the interpreter (exit 139). Free it now, with no traceback holding it.
        gc.collect()
        raise failure
    if len(records) != expected:
        raise InputError(f"{name}: read {len(records):,} rows but its sheet holds {expected:,}; nothing was imported.",
                         "Open it in your spreadsheet, save it again as .xlsx and import that file.")
    return _table(records, source, "xlsx", "")


def _read_first_sheet(openpyxl, data: bytes, name: str) -> tuple[list[list[str]], int]:
    """Every row of the first sheet as text, and the last row number its XML holds."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        records = []
        rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
        try:
            for row in rows:
                record = [cell_text(v) for v in row]
                for cell in record:
                    if len(cell) > MAX_CELL_CHARS:
                        raise InputError(f"{name} has a cell of {len(cell):,} characters in row {len(records) + 1}, more "
                                         f"than the {MAX_CELL_CHARS:,} a spreadsheet cell holds.",
                                         "Check that cell in your spreadsheet and save the file again.")
                records.append(record)
        finally:
            rows.close()
        return records, rows_in_sheet(workbook._archive, sheet._worksheet_path, name)
    finally:
        workbook.close()


def _damaged(name: str, exc: Exception) -> InputError:
    return InputError(f"{name} is not a readable Excel workbook: {_one_line(exc)}.",
                      "Open it in your spreadsheet and save it again as .xlsx.")


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return _CONTROL.sub("", text)[:200]


def check_unpacked_sizes(data: bytes, name: str) -> None:
    """Refuse a workbook whose parts would unpack to more than we read, judged from the zip's directory before
    anything is unpacked (a 400 KB zip bomb unpacks to 400 MB). Python's zipfile never unpacks past those sizes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _damaged(name, exc) from exc
    total = sum(part.file_size for part in parts)
    if total > MAX_UNPACKED_BYTES:
        raise InputError(f"{name} unpacks to {total / 2**20:,.0f} MB, more than the {MAX_UNPACKED_BYTES // 2**20:,} MB "
                         "an import takes.", "Split it into smaller files and import them one after another.")
    for part in parts:
        if part.file_size > 10 * 2**20 and part.file_size > MAX_PACKING_RATIO * max(part.compress_size, 1):
            raise InputError(f"{name} is not a normal workbook: one of its parts unpacks from "
                             f"{part.compress_size / 2**10:,.0f} KB to {part.file_size / 2**20:,.0f} MB (a zip bomb).",
                             "Don't import this file; export the orders again from your shop or spreadsheet.")


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")


def rows_in_sheet(archive: zipfile.ZipFile, part: str, name: str) -> int:
    """The last row number a sheet's XML holds, counted from its <row> tags (not from <dimension>); rows out of
    order are refused, since a reader would drop them."""
    last, tail = 0, b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            text = tail + chunk
            cut = text.rfind(b"<")
            text, tail = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
            for tag in _ROW_TAG.finditer(text):
                number = _ROW_NUMBER.search(tag.group(1))
                row = int(number.group(1)) if number else last + 1
                if row <= last:
                    raise InputError(f"{name} lists row {row} after row {last}, so rows could be lost; nothing was imported.",
                                     "Open it in your spreadsheet, save it again as .xlsx and import that file.")
                last = row
    return last


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees (whole numbers without '.0', dates in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)
