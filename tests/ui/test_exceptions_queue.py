"""The exception queue through qtbot: each one-click action changes the store, tells the customer where it should, and is audited."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from control_facts import Facts  # noqa: E402

from controltower.control.actions import ControlService  # noqa: E402
from controltower.control.engine import ExceptionEngine  # noqa: E402
from controltower.domain import GeoPoint, GeoPrecision, ShipmentStatus as S  # noqa: E402
from controltower.domain.timeutil import to_iso  # noqa: E402
from controltower.services.notifications import NotificationService  # noqa: E402
from controltower.ui.exceptions import ExceptionQueueView  # noqa: E402
from controltower.ui.exceptions.dialogs import RebookDialog  # noqa: E402

# A Tuesday afternoon in Portland: the rules read the shop's day and hour, so the clock is set, never the wall clock.
NOW = datetime(2026, 3, 10, 22, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def queue(qtbot, store):
    f = Facts(store)
    late = f.order(name="Lena Late", promised_end=NOW - timedelta(hours=5), ref="LATE-1")
    f.shipment(late, status=S.IN_TRANSIT, carrier="zippy")
    f.set("INSERT INTO quotes(order_id, carrier, service, price_minor, created_at, expires_at) VALUES (?, 'speedy', 'express', 1250, ?, ?)",
          (late, to_iso(NOW), to_iso(NOW + timedelta(hours=2))))
    failed = f.order(name="<script>alert(1)</script>", ref="FAIL-1", promised_end=NOW + timedelta(days=1))
    f.shipment(failed, status=S.FAILED_ATTEMPT, carrier="zippy")
    lost = f.order(name="Ada Address", ref="ADDR-1", promised_end=NOW + timedelta(days=1), location=GeoPoint(45.5, -122.6, GeoPrecision.CITY, 0.2))
    f.shipment(lost, status=S.BOOKED, carrier="own_fleet")
    f.set("INSERT INTO drivers(id, name) VALUES (1, 'Dana')")
    f.set("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g, driver_id) VALUES (1, 'Van 1', 40, 400000, 1)")
    engine = ExceptionEngine(store)
    engine.refresh()
    view = ExceptionQueueView(ControlService(store), engine, notifications=NotificationService(store))
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    return view


def row_of(view, order_ref: str, kind: str | None = None) -> int:
    return next(i for i, case in enumerate(view.model.rows) if case.order_ref == order_ref and (kind is None or case.kind == kind))


def select(view, order_ref, kind=None):
    view.select_rows([row_of(view, order_ref, kind)])


def audit_actions(store) -> list[str]:
    return [r[0] for r in store.query("SELECT action FROM audit_log ORDER BY id")]


def accept(qtbot, view):
    dialog = view.active_dialog
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_queue_shows_most_severe_first_with_counts_and_plain_names(queue):
    severities = [case.severity.rank for case in queue.model.rows]
    assert severities == sorted(severities) and queue.model.rows[0].kind == "late"
    assert queue.chip_buttons["all"].text() == "All 3"
    assert queue.chip_buttons["late"].text() == "Late 1"
    cell = queue.model.index(row_of(queue, "FAIL-1"), 3)
    assert queue.model.data(cell) == "<script>alert(1)</script>"  # shown as typed, never as markup


def test_kind_chip_and_search_filter(qtbot, queue):
    qtbot.mouseClick(queue.chip_buttons["failed_attempt"], Qt.MouseButton.LeftButton)
    assert [c.kind for c in queue.model.rows] == ["failed_attempt"]
    qtbot.mouseClick(queue.chip_buttons["all"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(queue.search, "Lena")
    qtbot.keyClick(queue.search, Qt.Key.Key_Return)
    assert [c.order_ref for c in queue.model.rows] == ["LATE-1"]


def test_rebook_creates_a_new_booking_for_the_sync_engine(qtbot, queue, store):
    select(queue, "LATE-1")
    qtbot.mouseClick(queue.buttons["rebook"], Qt.MouseButton.LeftButton)
    assert isinstance(queue.active_dialog, RebookDialog) and queue.active_dialog.quotes.count() == 1
    accept(qtbot, queue)
    shipments = store.query("SELECT carrier, status FROM shipments WHERE order_id = (SELECT id FROM orders WHERE order_ref = 'LATE-1') ORDER BY id")
    assert [tuple(s) for s in shipments] == [("zippy", "exception"), ("speedy", "created")]
    book = store.query("SELECT carrier, operation, state FROM outbox WHERE operation = 'book'")
    assert [tuple(b) for b in book] == [("speedy", "book", "pending")]
    assert "LATE-1" not in [c.order_ref for c in queue.model.rows]
    assert {"shipment.rebook", "exception.rebooked", "shipment.status"} <= set(audit_actions(store))
    assert "Re-booking with speedy" in queue.message.text()


def test_reschedule_sets_a_new_window_and_tells_the_customer(qtbot, queue, store):
    select(queue, "FAIL-1")
    qtbot.mouseClick(queue.buttons["reschedule"], Qt.MouseButton.LeftButton)
    start, end = queue.active_dialog.window()
    accept(qtbot, queue)
    order = store.query("SELECT id, promised_end FROM orders WHERE order_ref = 'FAIL-1'")[0]
    assert order["promised_end"] == to_iso(end)
    sent = store.query("SELECT channel, template, body FROM notifications WHERE order_id = ?", (order["id"],))
    assert sorted(n["channel"] for n in sent) == ["email", "sms"] and {n["template"] for n in sent} == {"delayed"}
    assert "&lt;script&gt;" in next(n["body"] for n in sent if n["channel"] == "email")
    assert "order.reschedule" in audit_actions(store) and "exception.rescheduled" in audit_actions(store)


def test_reassign_to_own_driver_puts_a_stop_on_the_van_route(qtbot, queue, store):
    select(queue, "FAIL-1")
    qtbot.mouseClick(queue.buttons["reassign"], Qt.MouseButton.LeftButton)
    accept(qtbot, queue)
    stop = store.query("SELECT s.sequence, r.vehicle_id FROM stops s JOIN routes r ON r.id = s.route_id "
                       "JOIN orders o ON o.id = s.order_id WHERE o.order_ref = 'FAIL-1'")[0]
    assert (stop["sequence"], stop["vehicle_id"]) == (1, 1)
    carriers = [r[0] for r in store.query("SELECT s.carrier FROM shipments s JOIN orders o ON o.id = s.order_id "
                                          "WHERE o.order_ref = 'FAIL-1' ORDER BY s.id")]
    assert carriers == ["zippy", "own_fleet"]
    assert "order.reassign_own_fleet" in audit_actions(store)


def test_contact_customer_through_the_composer(qtbot, queue, store):
    select(queue, "ADDR-1")
    qtbot.mouseClick(queue.buttons["contact"], Qt.MouseButton.LeftButton)
    composer = queue.active_dialog
    composer.sms.setChecked(False)
    qtbot.keyClicks(composer.message, "Could you confirm your street address?")
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    (note,) = store.query("SELECT channel, template, recipient, body FROM notifications")
    assert (note["channel"], note["template"]) == ("email", "custom") and "confirm your street" in note["body"]
    assert "customer.contact" in audit_actions(store) and "exception.contacted" in audit_actions(store)
    assert "ADDR-1" in [c.order_ref for c in queue.model.rows]  # writing to them does not fix the address


def test_start_return_books_a_return_and_notifies(qtbot, queue, store):
    select(queue, "FAIL-1")
    qtbot.mouseClick(queue.buttons["return"], Qt.MouseButton.LeftButton)
    assert store.scalar("SELECT count(*) FROM shipments WHERE kind = 'return' AND status = 'created'") == 1
    assert store.scalar("SELECT operation FROM outbox") == "return"
    assert store.scalar("SELECT count(*) FROM notifications WHERE template = 'return_started'") == 2
    assert store.scalar("SELECT method FROM returns") == "courier_pickup"  # the same return the dispatch panel starts
    assert "return.start" in audit_actions(store) and "exception.return_started" in audit_actions(store)


def test_bulk_resolve_with_a_reason(qtbot, queue, store):
    queue.select_rows([0, 1])
    qtbot.mouseClick(queue.buttons["resolve"], Qt.MouseButton.LeftButton)
    queue.active_dialog.reason.setCurrentText("Refunded")
    accept(qtbot, queue)
    assert store.scalar("SELECT count(*) FROM exceptions WHERE resolution = 'Refunded'") == 2
    assert audit_actions(store).count("exception.resolved") == 2
    assert len(queue.model.rows) == 1


def test_snooze_hides_until_shown(qtbot, queue, store):
    select(queue, "ADDR-1")
    qtbot.mouseClick(queue.buttons["snooze"], Qt.MouseButton.LeftButton)
    assert "ADDR-1" not in [c.order_ref for c in queue.model.rows]
    queue.show_snoozed.setChecked(True)
    assert "ADDR-1" in [c.order_ref for c in queue.model.rows]
    assert "exception.snoozed" in audit_actions(store)


def test_check_now_runs_rules_off_the_ui_thread(qtbot, queue, store):
    Facts(store).shipment(Facts(store).order(ref="NEW-1", promised_end=NOW - timedelta(hours=1)), status=S.IN_TRANSIT)
    qtbot.mouseClick(queue.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queue.refresh_button.isEnabled(), timeout=10000)
    assert "1 new" in queue.message.text()
    assert "NEW-1" in [c.order_ref for c in queue.model.rows]


def test_an_action_that_cannot_happen_says_why(qtbot, queue, store):
    select(queue, "LATE-1")
    store.conn.execute("UPDATE quotes SET expires_at = ?", (to_iso(NOW - timedelta(minutes=1)),))
    qtbot.mouseClick(queue.buttons["rebook"], Qt.MouseButton.LeftButton)
    assert queue.active_dialog.quotes.count() == 0 and not queue.active_dialog.ok_button.isEnabled()


def test_queue_reloads_when_another_thread_publishes_a_change(qtbot, queue, store):
    import threading

    from controltower.kernel.events import EventHub

    hub = EventHub()
    queue.watch(hub)
    store.conn.execute("UPDATE exceptions SET resolved_at = ?, resolution = 'elsewhere'", (to_iso(NOW),))
    threading.Thread(target=lambda: hub.publish("exceptions.changed")).start()
    qtbot.waitUntil(lambda: queue.model.rowCount() == 0, timeout=5000)
    assert queue.chip_buttons["all"].text() == "All 0"


def test_message_history_shows_what_was_sent_to_whom(qtbot, queue, store):
    from controltower.services.notifications import NotificationService
    from controltower.ui.notifications import MessageHistory

    select(queue, "ADDR-1")
    qtbot.mouseClick(queue.buttons["contact"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(queue.active_dialog.message, "Van arrives at 3")
    qtbot.mouseClick(queue.active_dialog.send_button, Qt.MouseButton.LeftButton)
    order_id = store.scalar("SELECT id FROM orders WHERE order_ref = 'ADDR-1'")
    history = MessageHistory(NotificationService(store))
    qtbot.addWidget(history)
    history.show_order(order_id)
    rows = sorted(tuple(history.table.item(r, c).text() for c in (1, 2, 4)) for r in range(history.table.rowCount()))
    assert rows == [("email", "ada@example.com", "queued"), ("sms", "+14155552671", "queued")]


def test_composer_refuses_an_empty_message(qtbot, queue, store):
    select(queue, "ADDR-1")
    qtbot.mouseClick(queue.buttons["contact"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(queue.active_dialog.send_button, Qt.MouseButton.LeftButton)
    assert "empty" in queue.active_dialog.error.text()
    assert store.scalar("SELECT count(*) FROM notifications") == 0


def test_a_long_queue_shows_the_most_urgent_first_and_says_so(queue, store):
    order = store.scalar("SELECT id FROM orders WHERE order_ref = 'ADDR-1'")
    with store.transaction() as conn:
        conn.executemany("INSERT INTO exceptions(kind, severity, cause_key, order_id, summary, opened_at) VALUES (?,?,?,?,?,?)",
                         [("stalled", "low" if n % 2 else "critical", f"bulk:{n}", order, "quiet", to_iso(NOW - timedelta(minutes=n)))
                          for n in range(600)])
    queue.reload()
    assert queue.model.rowCount() == 500
    assert queue.shown.text() == "Showing the 500 most urgent of 603"
    critical = [c for c in queue.model.rows if c.severity.value == "critical"]
    assert len(critical) == 301 and queue.model.rows[:301] == critical
    assert critical[0].opened_at <= critical[1].opened_at  # oldest first within a severity


def test_an_eta_shows_as_a_likely_window_in_the_shops_time(qtbot, store):
    """Issue 17 item 8: "ETA 120 min after the promise (carrier, 70% sure)" reads as a window on the shop's clock."""
    store.set_setting("shop.timezone", "America/Los_Angeles")  # NOW is 15:00 there
    f = Facts(store)
    order = f.order(name="Rita Risk", ref="RISK-1", promised_end=NOW + timedelta(hours=1))
    f.shipment(order, status=S.IN_TRANSIT, carrier="zippy", eta=NOW + timedelta(hours=3))  # the carrier's estimate: 70 % sure
    engine = ExceptionEngine(store)
    engine.refresh()
    view = ExceptionQueueView(ControlService(store), engine, notifications=NotificationService(store))
    qtbot.addWidget(view)
    view.show()
    row = row_of(view, "RISK-1", "at_risk")
    shown = [view.model.index(row, c).data() for c in range(view.model.columnCount())]
    assert "Arrives after its promise (16:00): likely 17:45–18:15" in shown
    assert not any("% sure" in str(text) or " min " in str(text) for text in shown)
