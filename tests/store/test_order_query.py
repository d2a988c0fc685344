"""The Orders view's filters, as the store answers them: a delivery-date range includes both of its ends."""
from datetime import datetime, timedelta, timezone

import pytest

from controltower.domain import Address, DeliveryOption, Order, OrderLine, TimeWindow
from controltower.store import orders as order_store
from controltower.store.orders import OrderQuery

NOW = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)
DAYS = ["2026-11-24", "2026-11-25", "2026-11-26"]


@pytest.fixture
def three_days(store):
    with store.transaction() as conn:
        saved = order_store.upsert_orders(conn, [
            Order(f"D-{day}", "Ada", Address("1 Oak St", "Portland", "97214"), DeliveryOption.STANDARD, NOW,
                  lines=(OrderLine("A", "Pot", 1),)) for day in DAYS])
        for day in DAYS:
            start = datetime.fromisoformat(day).replace(hour=17, tzinfo=timezone.utc)
            order_store.set_promise(conn, saved.ids[f"D-{day}"], TimeWindow(start, start + timedelta(hours=2)), day)
    return store


@pytest.mark.parametrize("date_from, date_to, expected", [
    ("2026-11-25", "2026-11-25", ["2026-11-25"]),
    (None, "2026-11-25", ["2026-11-24", "2026-11-25"]),
    ("2026-11-25", None, ["2026-11-25", "2026-11-26"]),
    ("2026-11-24", "2026-11-26", DAYS),
])
def test_a_delivery_date_range_includes_both_ends(three_days, date_from, date_to, expected):
    query = OrderQuery(date_from=date_from, date_to=date_to)
    assert order_store.count(three_days.conn, query) == len(expected)
    where, params = query.where()
    found = three_days.conn.execute(f"SELECT delivery_date FROM orders{where} ORDER BY delivery_date", params).fetchall()
    assert [row[0] for row in found] == expected
