"""The app's own orders export comes back in unchanged (issue 18, item 8): exported to CSV and to XLSX, imported
into a fresh store, every field and line item is the same; phones keep their +, postcodes their leading zero,
and text the guard made inert ("=…", "-…") loses the guard's apostrophe again."""
from __future__ import annotations

from datetime import datetime, timezone

import openpyxl
import pytest
import time_machine

from controltower.domain import Address, DeliveryOption, Money, Order, OrderLine, TimeWindow
from controltower.imports import export, import_file
from controltower.store import Database
from controltower.store.orders import get_order, get_order_id, upsert_orders

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 16, 45, tzinfo=UTC)
ORDERS = [
    Order("RC-1001", "Maya Chen", Address("3325 SE Division St", "Portland", "97202", "US", "Apt 4 | back door", "OR"),
          DeliveryOption.SAME_DAY, datetime(2026, 11, 23, 15, 2, 11, tzinfo=UTC), phone="+15035550101",
          email="maya@example.com", promised_window=TimeWindow(datetime(2026, 11, 23, 19, 0, tzinfo=UTC),
                                                               datetime(2026, 11, 23, 23, 0, tzinfo=UTC)),
          parcels=2, weight_g=3200, value=Money(8300), notes="=ring twice; gate code 1234", source="file",
          lines=(OrderLine("MON-1", "Monstera | large; 30 cm", 1, Money(4500)),
                 OrderLine("POT-3", "Terracotta &amp; saucer", 2, Money(1900)),
                 OrderLine("", "Gift note", 1))),
    Order("RC-1002", "-Ann O'Neil", Address("12 Elm St", "Boston", "02134", "US", "", "MA"), DeliveryOption.STANDARD,
          datetime(2026, 11, 22, 9, 30, tzinfo=UTC), phone="+16175550123", value=Money(0), source="file"),
    Order("RC-1003", "Aiko Sato", Address("1-2 Chiyoda", "Tokyo", "100-0001", "JP"), DeliveryOption.EXPRESS,
          datetime(2026, 11, 21, 1, 0, tzinfo=UTC), phone="+81312345678", value=Money(12800, "JPY"), source="file",
          lines=(OrderLine("TEA", "@Matcha", 3, Money(4000, "JPY")),)),
]


def _same(order: Order) -> tuple:
    """Everything an order is, but where the store put it (id, status) and its map position (placed on import)."""
    return (order.order_ref, order.customer_name, order.address, order.delivery_option, order.created_at, order.phone,
            order.email, order.promised_window, order.parcels, order.weight_g, order.value, order.notes, order.lines)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
@time_machine.travel(NOW, tick=False)
def test_the_apps_own_export_imports_into_a_fresh_store_unchanged(store, tmp_path, suffix):
    with store.transaction() as conn:
        upsert_orders(conn, ORDERS)
    path = tmp_path / f"orders.{suffix}"
    assert export(store.conn, "orders", path) == len(ORDERS)
    fresh = Database(tmp_path / "fresh.db")
    try:
        report = import_file(fresh, path)
        assert (report.imported, report.errors) == (len(ORDERS), [])
        for original in ORDERS:
            back = get_order(fresh.conn, get_order_id(fresh.conn, original.order_ref))
            assert _same(back) == _same(original)
    finally:
        fresh.close()


@time_machine.travel(NOW, tick=False)
def test_the_workbook_types_phones_and_postcodes_as_text(store, tmp_path):
    with store.transaction() as conn:
        upsert_orders(conn, ORDERS)
    export(store.conn, "orders", tmp_path / "orders.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "orders.xlsx").active
    header = [c.value for c in sheet[1]]
    boston = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "RC-1002")
    phone, postcode = boston[header.index("Phone")], boston[header.index("Postcode")]
    assert (phone.value, phone.data_type, phone.number_format) == ("+16175550123", "s", "@")
    assert (postcode.value, postcode.data_type, postcode.number_format) == ("02134", "s", "@")
