"""Reading a spreadsheet file (CSV in any delimiter and encoding a spreadsheet writes, or XLSX) into rows of text."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from ..kernel.errors import InputError

DELIMITERS = (",", ";", "\t", "|")


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
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Could not open {path.name}: {exc.strerror or exc}.", "Check the file exists and is readable.") from exc
    if path.suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data, path.name)
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
    text, encoding = decode(data)
    if not text.strip():
        raise InputError(f"{source or 'The file'} is empty.", "Export the orders again and pick the new file.")
    delimiter = sniff_delimiter(text)
    records = []
    try:
        # A Python loop, not list(reader): list() would hold the GIL for the whole file and freeze the UI thread.
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            records.append(record)
    except csv.Error as exc:
        raise InputError(f"{source or 'The file'} is not a readable CSV file: {exc}.", "Save it again as CSV from your spreadsheet.") from exc
    return _table(records, source, encoding, delimiter)


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
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own types for broken files
        raise InputError(f"{source or 'The file'} is not a readable Excel workbook: {exc}.", "Open it in your spreadsheet and save it again as .xlsx.") from exc
    try:
        sheet = workbook.worksheets[0]
        records = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _table(records, source, "xlsx", "")


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
