"""A file that gives only a deliver-by time promises the order from the start of that day until that time."""
from datetime import datetime, timezone

from controltower.imports import GENERIC, import_file
from controltower.store.orders import get_order, get_order_id


def test_a_deliver_by_time_alone_promises_from_midnight_to_that_time(store, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_ref,customer_name,street,city,postcode,country,deliver by,item,quantity\n"
                    "BY-1,Ada,1 Oak St,Portland,97214,US,2026-11-25 14:30,Pot,1\n"
                    "BY-2,Bo,2 Oak St,Portland,97214,US,2026-11-25,Pot,1\n", encoding="utf-8")
    assert import_file(store, path, GENERIC).imported == 2

    timed = get_order(store.conn, get_order_id(store.conn, "BY-1")).promised_window
    assert (timed.start, timed.end) == (datetime(2026, 11, 25, 0, 0, 0, tzinfo=timezone.utc),
                                        datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc))
    whole_day = get_order(store.conn, get_order_id(store.conn, "BY-2")).promised_window
    assert whole_day.start == datetime(2026, 11, 25, 0, 0, 0, tzinfo=timezone.utc)
    assert whole_day.end.date() == whole_day.start.date() and whole_day.end.hour == 23
