"""The main window as a whole: orders that arrive without a position are placed, the rest raise an address problem."""
from datetime import datetime, timedelta, timezone

from controltower.domain import Address, DeliveryOption, Order, TimeWindow
from controltower.store import orders as order_store
from controltower.ui.context import AppContext
from controltower.ui.main_window import MainWindow


def test_new_orders_get_a_position_or_an_address_problem(qtbot, store):
    now = datetime.now(timezone.utc)
    window = TimeWindow(now + timedelta(hours=2), now + timedelta(hours=6))
    with store.transaction() as conn:
        order_store.upsert_orders(conn, [
            Order("W-1", "Ann Lee", Address("2325 SE Hawthorne Blvd", "Portland", "97214", "US"), DeliveryOption.STANDARD, now,
                  promised_window=window),
            Order("W-2", "Bo Park", Address("1 Nowhere Lane", "Atlantis", "00000", "US"), DeliveryOption.STANDARD, now,
                  promised_window=window)])
    main = MainWindow(AppContext(db=store, offline=True))
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: store.scalar("SELECT lat FROM orders WHERE order_ref = 'W-1'") is not None, timeout=20_000)
    assert store.scalar("SELECT geo_precision FROM orders WHERE order_ref = 'W-1'") == "postcode"  # approximate, and says so
    qtbot.waitUntil(lambda: store.scalar(
        "SELECT count(*) FROM exceptions e JOIN orders o ON o.id = e.order_id "
        "WHERE e.kind = 'address_problem' AND o.order_ref = 'W-2' AND e.resolved_at IS NULL") == 1, timeout=20_000)
    main.close()
