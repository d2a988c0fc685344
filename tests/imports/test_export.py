"""Exports to CSV and XLSX: what a spreadsheet opens, with formula-looking cells made inert."""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime, timezone

import openpyxl
import pytest

from controltower.domain import Address, DeliveryOption, Money, Order, OrderLine
from controltower.imports import export, neutralise
from controltower.store.orders import upsert_orders

NASTY = ['=HYPERLINK("http://evil.example","click")', "+SUM(A1:A9)", "-2+3", "@cmd", "\tTabbed", "\rReturn"]


@pytest.fixture
def orders(store):
    now = datetime(2025, 10, 9, 12, 0, tzinfo=timezone.utc)
    with store.transaction() as conn:
        upsert_orders(conn, [
            Order(f"N-{i}", name, Address("1 Main St", "Springfield", "62701", "US"), DeliveryOption.STANDARD, now,
                  phone="+12175550100", value=Money(1999), notes="ring twice", lines=(OrderLine("S", "Soap", 2),))
            for i, name in enumerate(NASTY)
        ])
    return store


def test_neutralise_only_touches_text_that_a_spreadsheet_would_run():
    assert [neutralise(v) for v in NASTY] == ["'" + v for v in NASTY]
    assert neutralise("Ada Lovelace") == "Ada Lovelace"
    assert neutralise(-5) == -5 and neutralise(None) is None and neutralise("") == ""


def test_orders_csv_has_every_formula_neutralised(orders, tmp_path):
    path = tmp_path / "orders.csv"
    assert export(orders.conn, "orders", path) == len(NASTY)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["Customer"] for r in rows) == sorted("'" + v for v in NASTY)
    assert rows[0]["Phone"] == "+12175550100"  # a phone number's digits run nothing: no apostrophe in front
    assert rows[0]["Value"] == "19.99" and rows[0]["Items"] == "sku:S|name:Soap|quantity:2"


def test_only_a_phone_number_passes_the_guard_with_its_plus():
    assert neutralise("+14155550100") == "+14155550100"
    assert neutralise("+1415555010+0") == "'+1415555010+0" and neutralise("+1 (415) 555") == "'+1 (415) 555"
    assert neutralise("+SUM(A1)") == "'+SUM(A1)" and neutralise("+12") == "'+12"


def test_orders_xlsx_cells_are_text_never_formulas(orders, tmp_path):
    path = tmp_path / "orders.xlsx"
    export(orders.conn, "orders", path)
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    customer = header.index("Customer")
    cells = [row[customer] for row in sheet.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted(NASTY)  # as typed: a workbook cell is typed, no apostrophe
    assert all(c.data_type == "s" for c in cells)  # stored as strings: Excel shows them, never evaluates them


def test_cli_export_writes_each_kind_by_extension(orders, tmp_path):
    db_path = orders.path
    for what in ("orders", "shipments", "routes", "exceptions"):
        out = tmp_path / f"{what}.xlsx"
        run = subprocess.run([sys.executable, "-m", "controltower.cli", "export", what, "--db", str(db_path), "--out", str(out)],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert openpyxl.load_workbook(out).active.max_row >= 1
    bad = subprocess.run([sys.executable, "-m", "controltower.cli", "export", "orders", "--db", str(db_path), "--out",
                          str(tmp_path / "orders.pdf")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Name the file .csv or .xlsx" in bad.stderr


def test_xlsx_amounts_are_numbers_a_spreadsheet_can_add_up(orders, tmp_path):
    path = tmp_path / "orders.xlsx"
    export(orders.conn, "orders", path)
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    values = [row[header.index("Value")] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "n" for c in values) and sum(c.value for c in values) == pytest.approx(19.99 * len(NASTY))


def test_progress_is_reported_while_rows_stream_to_the_file(orders, tmp_path):
    from controltower.exports.tables import count_rows

    seen: list[int] = []
    assert count_rows(orders.conn, "orders") == len(NASTY)
    assert export(orders.reader(), "orders", tmp_path / "orders.csv", progress=seen.append) == len(NASTY)
    assert seen[-1] == len(NASTY)


def test_a_failed_export_leaves_no_half_written_file(orders, tmp_path):
    from controltower.kernel.errors import InputError

    taken = tmp_path / "orders.csv"
    taken.mkdir()  # a folder already has the name: the file can't be put there
    with pytest.raises(InputError, match="Can't write"):
        export(orders.conn, "orders", taken)
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name] and taken.is_dir()


def test_control_characters_in_shop_text_neither_break_the_workbook_nor_hide_a_formula(store, tmp_path):
    now = datetime(2025, 10, 9, 12, 0, tzinfo=timezone.utc)
    with store.transaction() as conn:
        upsert_orders(conn, [Order("B-1", "\x07=SUM(1,1)", Address("1 Main\x0b St", "Springfield", "62701", "US"),
                                   DeliveryOption.STANDARD, now)])
    export(store.conn, "orders", tmp_path / "orders.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "orders.xlsx").active
    header = [c.value for c in sheet[1]]
    customer, street = sheet.cell(2, header.index("Customer") + 1), sheet.cell(2, header.index("Street") + 1)
    assert (customer.value, customer.data_type, street.value) == ("=SUM(1,1)", "s", "1 Main St")


def test_a_table_longer_than_excel_allows_continues_on_a_second_sheet(orders, tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules["controltower.exports.tables"], "XLSX_MAX_ROWS", 5)  # Excel's is 1,048,576: header plus 4 orders a sheet here
    export(orders.conn, "orders", tmp_path / "orders.xlsx")
    book = openpyxl.load_workbook(tmp_path / "orders.xlsx")
    assert book.sheetnames == ["Orders", "Orders (2)"]
    assert [book[name].max_row for name in book.sheetnames] == [5, 1 + len(NASTY) - 4]
    assert book["Orders (2)"]["A1"].value == "Order"


def test_amounts_are_in_each_currencys_own_units(store, tmp_path):
    now = datetime(2025, 10, 9, 12, 0, tzinfo=timezone.utc)
    with store.transaction() as conn:
        upsert_orders(conn, [
            Order(ref, "Ana", Address("1 Main St", "Springfield", "62701", "US"), DeliveryOption.STANDARD, now,
                  value=Money(minor, currency))
            for ref, minor, currency in (("Y-1", 1200, "JPY"), ("K-1", 12345, "KWD"), ("U-1", 1999, "USD"))
        ])
    path = tmp_path / "orders.csv"
    export(store.conn, "orders", path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        values = {row["Order"]: (float(row["Value"]), row["Currency"]) for row in csv.DictReader(handle)}
    assert values == {"Y-1": (1200.0, "JPY"), "K-1": (12.345, "KWD"), "U-1": (19.99, "USD")}
