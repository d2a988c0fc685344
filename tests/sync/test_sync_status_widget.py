"""What the shop owner sees of sync: the status bar line and the queued-writes panel with Cancel."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt

from controltower.domain import ShipmentStatus
from controltower.domain.timeutil import utcnow
from controltower.kernel.events import EventHub
from controltower.services.outbox import OutboxService
from controltower.store.shipments import get_shipment
from controltower.sync import outbox
from controltower.ui.sync_status import OutboxPanel, SyncStatusWidget

from .helpers import book


def test_status_bar_shows_offline_queue_and_errors(qtbot):
    hub = EventHub()
    widget = SyncStatusWidget(hub)
    qtbot.addWidget(widget)
    assert widget.text().startswith("Online")
    synced = datetime(2026, 11, 25, 14, 2, 11, tzinfo=timezone.utc)
    hub.publish("sync.state", online=False, last_sync=synced, queue=3, unknown=1, failed=1,
                errors=["sandbox:zippy: could not reach sandbox:zippy", "<b>bold</b> claim"])
    text = widget.text()
    assert text.startswith("Offline: writes wait until the network is back")
    assert f"synced {synced.astimezone().strftime('%H:%M:%S')}" in text
    assert "3 queued (1 being checked)" in text and "1 refused" in text and "2 errors" in text
    assert "<b>bold</b> claim" in widget.toolTip()  # carrier text shown as it is, never as markup
    assert widget.textFormat() == Qt.TextFormat.PlainText
    with qtbot.waitSignal(widget.open_queue_requested):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_queued_writes_can_be_withdrawn_until_they_reach_the_carrier(qtbot, store, order_ids):
    hub, published = EventHub(), []
    hub.subscribe("outbox.changed", lambda _t, payload: published.append(payload))
    waiting = book(store, order_ids[0], "zippy")
    doubtful = book(store, order_ids[1], "metro")
    with store.transaction() as conn:
        outbox.mark_in_flight(conn, doubtful.outbox_id)
        outbox.retry_later(conn, doubtful.outbox_id, "no answer from sandbox:metro <html>", utcnow(), outcome_unknown=True)
    panel = OutboxPanel(OutboxService(store, hub), hub)
    qtbot.addWidget(panel)
    table = panel.table
    assert table.rowCount() == 2
    assert [table.item(r, 4).text() for r in range(2)] == ["Waiting to send", "Checking with carrier"]
    assert table.item(1, 7).text() == "no answer from sandbox:metro <html>"

    panel.select_entry(doubtful.outbox_id)
    assert not panel.cancel_button.isEnabled()  # the carrier may have it: not withdrawable
    panel.select_entry(waiting.outbox_id)
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)

    assert table.rowCount() == 1 and table.item(0, 0).text() == str(doubtful.outbox_id)
    assert "withdrawn" in panel.message.text()
    assert get_shipment(store.conn, waiting.shipment_id).status == ShipmentStatus.CANCELLED
    assert published == [{"ids": [waiting.outbox_id]}]


def test_panel_refreshes_when_sync_state_changes(qtbot, store, order_ids):
    hub = EventHub()
    panel = OutboxPanel(OutboxService(store, hub), hub)
    qtbot.addWidget(panel)
    assert table_rows(panel) == 0 and panel.empty.isVisibleTo(panel)
    book(store, order_ids[0], "pedal")
    hub.publish("sync.state", online=True, last_sync=None, queue=1, errors=[])
    qtbot.waitUntil(lambda: table_rows(panel) == 1)
    assert not panel.empty.isVisibleTo(panel)


def table_rows(panel: OutboxPanel) -> int:
    return panel.table.rowCount()
