"""The Dispatch area: orders awaiting a decision with the recommended way, the comparison for one, and bulk dispatch."""
from __future__ import annotations

import asyncio
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QMessageBox, QPushButton, QSplitter, QTabWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from ...kernel.errors import UserFacingError
from ..tasks import run_in_thread
from .comparison import ComparisonPanel, local_time
from .failed import FailedDeliveriesPanel
from .review import DayReviewDialog
from .tables import read_only_table
from ..plain import plain_tooltip

COLUMNS = ("Order", "Customer", "Option", "Promised by", "Recommended", "Cost")


class DispatchView(QWidget):
    """Built on a `DispatchService`; all carrier calls and solving run off the UI thread."""

    comparisonShown = Signal(int)  # order id
    _changed = Signal()  # from any thread: something the list shows has changed
    planReady = Signal()
    booked = Signal(object)  # BookingReport

    def __init__(self, dispatch_service, parent=None) -> None:
        super().__init__(parent)
        self.service = dispatch_service
        self.orders = []
        self.plan = None
        self._generation = 0
        self._tasks = []
        self._rebooking = None
        tasks = self._tasks  # not `self`: by the time `destroyed` fires the widget is gone
        unsubscribe = self._unsubscribe = []
        self.destroyed.connect(lambda *_: [task.cancel() for task in tasks] + [stop() for stop in unsubscribe])
        self._build()
        self._refresh_timer = QTimer(self, singleShot=True, interval=500)
        self._refresh_timer.timeout.connect(self.refresh)
        self._changed.connect(self._refresh_timer.start, Qt.ConnectionType.QueuedConnection)

    # -- layout -------------------------------------------------------------
    def _build(self) -> None:
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Ask every carrier again, even if their quotes are only minutes old")
        self.refresh_button.clicked.connect(lambda: self.refresh(fresh=True))
        self.dispatch_button = QPushButton("Dispatch the day…")
        self.dispatch_button.setToolTip("Split every open order between vans, couriers and carriers at least cost; review before booking")
        self.dispatch_button.clicked.connect(self.review_day)
        self.new_order_button = QPushButton("New order…")
        self.new_order_button.clicked.connect(self.new_order)
        self.pick_list_button = QPushButton("Pick list…")
        self.pick_list_button.clicked.connect(self.print_pick_list)
        self.rules_button = QPushButton("Rules…")
        self.rules_button.setToolTip("What the recommendation prefers, avoids and keeps in balance")
        self.rules_button.clicked.connect(self.edit_rules)
        self.settings_button = QPushButton("Delivery settings…")
        self.settings_button.setToolTip("Opening hours, cut-offs, slots, prices and delivery zones")
        self.settings_button.clicked.connect(self.edit_settings)
        self.status = QLabel("")
        bar = QHBoxLayout()
        for widget in (self.refresh_button, self.dispatch_button, self.new_order_button, self.pick_list_button, self.rules_button,
                       self.settings_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.status)

        self.table = read_only_table(COLUMNS)
        self.table.itemSelectionChanged.connect(self._order_selected)

        self.panel = ComparisonPanel()
        self.panel.bookRequested.connect(self.book)
        self.panel.labelRequested.connect(self.print_label)
        self.failed = FailedDeliveriesPanel(self.service)
        self.failed.rebookRequested.connect(self.rebook)
        self.failed.resolved.connect(self.status.setText)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, "Awaiting a decision")
        self.tabs.addTab(self.failed, "Failed deliveries")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.splitter = splitter
        self._sized = False
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

    def follow(self, hub) -> None:
        """Refresh (once, shortly after) whenever orders or shipments change; hub handlers may run on any thread."""
        for topic in ("orders.changed", "shipments.changed"):
            self._unsubscribe.append(hub.subscribe(topic, lambda _topic, _payload: self._changed.emit()))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._sized:  # the comparison needs the room more than the list does
            self._sized = True
            width = max(self.splitter.width(), 800)
            self.splitter.setSizes([int(width * 0.4), int(width * 0.6)])

    def _run(self, fn, on_done, what: str, on_error=None) -> None:
        generation = self._generation

        def done(result):
            if generation == self._generation:
                on_done(result)

        def failed(error):
            if generation == self._generation:
                self.status.setText(f"{what} failed: {error}")
                if on_error is not None:
                    on_error(error)

        self._tasks[:] = [task for task in self._tasks if not task.cancelled]
        self._tasks.append(run_in_thread(fn, done, failed))

    def cancel_background(self) -> None:
        """Drop the results of work still running (the view is closing or the store is going away)."""
        for task in self._tasks:
            task.cancel()

    # -- the list ---------------------------------------------------------------
    def refresh(self, fresh: bool = False) -> None:
        """Reload orders awaiting a decision, then work out the recommended way for each in the background."""
        self._generation += 1
        self.plan = None
        self.orders = self.service.awaiting_decision()
        self.failed.refresh()
        self.tabs.setTabText(0, f"Awaiting a decision ({len(self.orders)})")
        self.tabs.setTabText(1, f"Failed deliveries ({len(self.failed.orders)})")
        tz = self.service.settings.tz
        self.table.setRowCount(len(self.orders))
        for r, order in enumerate(self.orders):
            promised = order.promised_window.end if order.promised_window else None
            for c, text in enumerate((order.order_ref, order.customer_name, order.delivery_option.label,
                                      local_time(promised, tz), "…", "")):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, order.id)
                self.table.setItem(r, c, item)
        self.status.setText(f"{len(self.orders)} orders awaiting a decision; asking carriers…" if self.orders
                            else "Nothing awaiting a decision.")
        if self.orders:
            ids = [o.id for o in self.orders]
            self._run(lambda: asyncio.run(self.service.plan_day(ids, fresh=fresh)), self._plan_arrived, "Working out the day")

    def _plan_arrived(self, plan) -> None:
        self.plan = plan
        for r, order in enumerate(self.orders):
            choice = plan.allocation.chosen.get(order.id)
            way = choice.label if choice else plan.allocation.unplaced.get(order.id, "—")
            self.table.item(r, 4).setText(way)
            self.table.item(r, 4).setToolTip(plain_tooltip(plan.reason(order.id)))
            self.table.item(r, 5).setText(choice.cost.format() if choice else "")
        self.status.setText(f"{len(self.orders)} orders awaiting a decision · day total {plan.allocation.total.format()}"
                            + "".join(f" · {note}" for note in plan.allocation.notes))
        self.planReady.emit()
        selected = self.selected_order_id()
        if selected is not None and self.panel.comparison is None:
            self._show(selected)

    def selected_order_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return None if not rows else self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def select_order(self, order_id: int) -> None:
        for r, order in enumerate(self.orders):
            if order.id == order_id:
                self.table.selectRow(r)
                return

    def _order_selected(self) -> None:
        order_id = self.selected_order_id()
        if order_id is not None:
            self._show(order_id)

    def _show(self, order_id: int) -> None:
        order = next((o for o in self.orders if o.id == order_id), None)
        if order is None:
            return
        if self.plan is not None and order_id in self.plan.comparisons:
            self._comparison_arrived(self.plan.comparisons[order_id])
            return
        self.panel.show_loading(order)
        self._run(lambda: asyncio.run(self.service.compare(order_id)), self._comparison_arrived, "Comparing",
                  self._comparison_failed(order_id))

    def rebook(self, order_id: int) -> None:
        """Compare again for a failed delivery, without the carrier that failed."""
        order = next((o for o in self.failed.orders if o.id == order_id), None)
        if order is None:
            return
        self.panel.show_loading(order)
        self._rebooking = order_id
        self._run(lambda: asyncio.run(self.service.rebook(order_id)), self._comparison_arrived, "Re-booking",
                  self._comparison_failed(order_id))

    def _comparison_failed(self, order_id: int):
        """The panel says why instead of "Asking the carriers…" for ever (unless the user has moved on)."""
        def show(error) -> None:
            if self._shown_order_id() == order_id:
                self.panel.show_error(str(error))
        return show

    def _shown_order_id(self) -> int | None:
        """The order the panel is for: the one being re-booked on the failed tab, else the selected one."""
        return self._rebooking if self.tabs.currentWidget() is self.failed else self.selected_order_id()

    def _comparison_arrived(self, comparison) -> None:
        if self._shown_order_id() != comparison.order.id:
            return  # the user has moved on
        self.panel.show_comparison(comparison, self.service.settings.tz, self._day_reason(comparison))
        self.comparisonShown.emit(comparison.order.id)

    def _day_reason(self, comparison) -> str:
        """The day plan's reason when it sends the order another way than its own recommendation."""
        order_id = comparison.order.id
        if self.plan is None or self.plan.comparisons.get(order_id) is not comparison:
            return ""
        choice = self.plan.allocation.chosen.get(order_id)
        if choice is not None and choice.row is comparison.decision.row:
            return ""
        return self.plan.reason(order_id)

    # -- actions ------------------------------------------------------------------
    def book(self, row) -> None:
        comparison = self.panel.comparison
        if comparison is None:
            return
        if self.tabs.currentWidget() is self.failed:  # a failed delivery: the re-book use case, as the exception queue's
            self._rebook_with(comparison, row)
            return
        report = self.service.book(comparison, row)
        self.booked.emit(report)
        failed = report.failed
        self.status.setText(report.summary() if not failed else f"Not booked: {failed[0].message}")
        if not failed:
            self.refresh()

    def _rebook_with(self, comparison, row) -> None:
        try:
            done = self.service.rebook_with(comparison, row)
        except UserFacingError as error:
            self.status.setText(f"Not booked: {error}")
            return
        self.status.setText(done.message)
        self.failed.refresh()

    def review_day(self) -> None:
        if self.plan is None:
            self.status.setText("Still working out the day; try again in a moment.")
            return
        dialog = DayReviewDialog(self.plan, self.service, self)
        dialog.finished.connect(lambda _result: self.refresh())
        dialog.open()  # never exec(): the event loop keeps running
        self.review_dialog = dialog

    def new_order(self) -> None:
        from .new_order import NewOrderDialog

        dialog = NewOrderDialog(self.service, self)
        dialog.accepted.connect(self.refresh)
        dialog.open()
        self.new_order_dialog = dialog

    def edit_rules(self) -> None:
        from .preferences import PreferencesDialog

        dialog = PreferencesDialog(self.service, self)
        dialog.accepted.connect(lambda: self.refresh(fresh=False))  # the same quotes, chosen again under the new rules
        dialog.open()
        self.rules_dialog = dialog

    def edit_settings(self) -> None:
        from .shop_settings import ShopSettingsDialog

        dialog = ShopSettingsDialog(self.service, self)
        dialog.accepted.connect(lambda: self.refresh(fresh=True))  # van costs and promises may all have moved
        dialog.open()
        self.settings_dialog = dialog

    def print_label(self) -> None:
        comparison = self.panel.comparison
        if comparison is None:
            return
        try:
            path = self.service.own_label(comparison.order.id)
        except Exception as error:  # shown, never swallowed
            QMessageBox.warning(self, "Label", f"Could not make the label: {error}")
            return
        from .printing import print_pdf

        print_pdf(path, self)

    def print_pick_list(self) -> None:
        orders = self.orders if self.plan is None else [c.order for c in self.plan.comparisons.values()]
        if not orders:
            self.status.setText("No orders to pick.")
            return
        path = self.service.pick_list(orders, datetime.now().astimezone())
        from .printing import print_pdf

        print_pdf(path, self)
