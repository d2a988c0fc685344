"""Saving orders says what it did: how many were new, changed and unchanged (the import report and the shop pulls show these)."""
from datetime import datetime, timezone

from controltower.domain import Address, DeliveryOption, Order, OrderLine
from controltower.store import orders as order_store

NOW = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)


def order(ref: str, name: str = "Ada Lovelace") -> Order:
    return Order(ref, name, Address("1 Oak St", "Portland", "97214"), DeliveryOption.STANDARD, NOW,
                 lines=(OrderLine("A", "Pot", 1),))


def test_new_changed_and_unchanged_orders_are_each_counted_once(store):
    with store.transaction() as conn:
        first = order_store.upsert_orders(conn, [order("A-1"), order("A-2")])
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)

    with store.transaction() as conn:
        again = order_store.upsert_orders(conn, [order("A-1"), order("A-2", "Ada King"), order("A-3")])
    assert (again.inserted, again.updated, again.unchanged) == (1, 1, 1)
    assert set(again.ids) == {"A-1", "A-2", "A-3"}
    assert store.scalar("SELECT customer_name FROM orders WHERE order_ref = 'A-2'") == "Ada King"
