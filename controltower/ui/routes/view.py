"""The Routes area: each van's stops with arrival against promise, moves and locks, re-optimising, run sheets."""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QDate, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDateEdit, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
    QSplitter, QTreeView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from ...services.routing import Evaluation, Plan, compare_outcomes, export_run_sheets, run_sheets
from ...services.deliveries import DeliveryService
from ..tasks import run_in_thread
from ..van_stops import VanStopButtons
from .model import COLUMNS, LATE, STOP_ROLE, VEHICLE_ROLE, RouteModel
from ..plain import plain_tooltip

log = logging.getLogger(__name__)

__all__ = ["RoutesView", "RouteTree", "COLUMNS", "LATE"]
POLL_MS = 100
RENDER_EVERY_S = 2.0  # while solving, show the best plan so far at most this often


class RouteTree(QTreeView):
    """Vans with their stops; dragging a stop onto another position or van asks the view to move it."""

    stopDropped = Signal(int, int, int)  # stop, vehicle, position

    def __init__(self, model: RouteModel) -> None:
        super().__init__()
        self.setModel(model)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)  # row heights are not measured one by one: large days draw fast
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        dragged = self.currentIndex()
        target = self.indexAt(event.position().toPoint())
        event.ignore()  # the view re-draws from the plan; Qt must not move rows itself
        if not dragged.isValid() or not target.isValid() or dragged.data(STOP_ROLE) is None:
            return
        above = self.dropIndicatorPosition() == QAbstractItemView.DropIndicatorPosition.AboveItem
        target = target.siblingAtColumn(0)
        if target.data(STOP_ROLE) is None:  # dropped on a van: first when above it, else last
            vehicle = target.data(VEHICLE_ROLE)
            position = 0 if above else self.model().rowCount(target)
        else:
            vehicle, position = target.data(VEHICLE_ROLE), target.row() + (0 if above else 1)
        self.stopDropped.emit(dragged.data(STOP_ROLE), vehicle, position)

    def rows(self, vehicle: int) -> list[list[str]]:
        """What the screen shows for one van's stops, row by row."""
        model, head = self.model(), self.model().index(vehicle, 0)
        return [[model.index(r, c, head).data() or "" for c in range(len(COLUMNS))] for r in range(model.rowCount(head))]


class _Relay(QObject):
    """Hub events arrive on any thread; this brings them to the UI thread."""

    routes_changed = Signal()


class RoutesView(QWidget):
    """Give it a RoutingService; it loads the day itself and never waits on the solver or the store. With
    `deliveries` (core.deliveries) the selected stop can be marked delivered or failed."""

    planChanged = Signal()

    def __init__(self, service, parent: QWidget | None = None, autoload: bool = True, *,
                 deliveries: DeliveryService | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.deliveries = deliveries
        self._relay = _Relay(self)
        self._relay.routes_changed.connect(self.refresh)
        self._autoload = autoload
        self.day = None
        self.plan: Plan | None = None
        self.locked: set[int] = set()
        self.evaluation: Evaluation | None = None
        self.reasons: dict = {}
        self.session = None
        self._last_render = 0.0
        self._pending_update = None
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    # ----- layout -----
    def _build(self) -> None:
        self.date_edit = QDateEdit(calendarPopup=True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.reload_button = QPushButton("Reload")
        self.optimise_button = QPushButton("Re-optimise")
        self.stop_button = QPushButton("Stop")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(160)
        self.save_button = QPushButton("Save plan")
        self.dispatch_button = QPushButton("Dispatch && run sheets…")
        self.export_button = QPushButton("Export run sheets…")
        top = QHBoxLayout()
        for w in (QLabel("Day"), self.date_edit, self.reload_button, self.optimise_button, self.progress, self.stop_button):
            top.addWidget(w)
        top.addStretch(1)
        for w in (self.save_button, self.export_button, self.dispatch_button):
            top.addWidget(w)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.totals = QLabel("")
        self.route_model = RouteModel()
        self.tree = RouteTree(self.route_model)
        self.unplanned = QTreeWidget()
        self.unplanned.setHeaderLabels(["Order", "Customer", "Why it is not planned"])
        self.unplanned.setWordWrap(True)
        self.unplanned.setToolTip("Why each stop is left out, found by checking every van and every position.")
        self.unplanned.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.lock_button = QPushButton("Lock / unlock")
        self.van_combo = QComboBox()
        self.move_button = QPushButton("Move to van")
        self.unplan_button = QPushButton("Leave out")
        self.what_if_combo = QComboBox()
        for combo in (self.van_combo, self.what_if_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.what_if_button = QPushButton("What if?")
        self.what_if_label = QLabel("")
        self.van_stop = VanStopButtons(self.deliveries) if self.deliveries is not None else None
        actions = QHBoxLayout()
        for w in (self.up_button, self.down_button, self.lock_button, self.van_combo, self.move_button, self.unplan_button):
            actions.addWidget(w)
        if self.van_stop is not None:  # the selected stop, worked by the van
            actions.addWidget(self.van_stop)
        actions.addStretch(1)
        for w in (self.what_if_combo, self.what_if_button):
            actions.addWidget(w)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tree)
        left_layout.addLayout(actions)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("Not planned"))
        right_layout.addWidget(self.unplanned)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([800, 450])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.what_if_label)
        layout.addWidget(self.totals)

        self.reload_button.clicked.connect(lambda: self.load(self.date_edit.date().toString("yyyy-MM-dd")))
        self.optimise_button.clicked.connect(lambda: self.reoptimise())
        self.stop_button.clicked.connect(self.cancel)
        self.save_button.clicked.connect(self.save)
        self.export_button.clicked.connect(lambda: self._choose_folder(self.export_run_sheets))
        self.dispatch_button.clicked.connect(lambda: self._choose_folder(self.dispatch))
        self.up_button.clicked.connect(lambda: self._shift_selected(-1))
        self.down_button.clicked.connect(lambda: self._shift_selected(+1))
        self.lock_button.clicked.connect(self._toggle_selected_lock)
        self.move_button.clicked.connect(self._move_selected_to_van)
        self.unplan_button.clicked.connect(self._unplan_selected)
        self.what_if_button.clicked.connect(lambda: self.try_what_if(self.what_if_combo.currentIndex()))
        self._what_if = None
        self._what_if_choices: list[tuple[str, int]] = []
        self._what_if_timer = QTimer(self)
        self._what_if_timer.setInterval(POLL_MS)
        self._what_if_timer.timeout.connect(self._poll_what_if)
        self.tree.stopDropped.connect(self.move_stop)
        self.tree.selectionModel().selectionChanged.connect(self._show_van_stop)
        self.unplanned.itemSelectionChanged.connect(self._show_van_stop)
        # Re-drawing resets the model the check box lives in: never inside the signal it is emitting.
        self.route_model.lockToggled.connect(lambda stop: QTimer.singleShot(0, self, lambda: self.toggle_lock(stop)))
        self._set_busy(False)

    def follow(self, hub) -> None:
        """Read the day again when any part of the app publishes routes.changed (safe from worker threads)."""
        hub.subscribe("routes.changed", lambda _topic, _payload: self._relay.routes_changed.emit())

    def _show_van_stop(self, *_args) -> None:
        """The Delivered / Failed attempt buttons act on the selected stop once it is saved in the store."""
        if self.van_stop is None:
            return
        stop = self.selected_stop()
        info = self.day.stops[stop] if stop is not None and self.day is not None else None
        self.van_stop.show_stop(info.stop_id if info else None, info.order_ref if info else "")
        self.van_stop.setToolTip("" if info is None or info.stop_id is not None else "Save the plan first")

    # ----- loading -----
    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._autoload:  # the first time the area is shown, today's plan is read
            self._autoload = False
            self.load()

    def refresh(self) -> None:
        """Reads the shown day again (e.g. when another area changed the day's stops)."""
        if self.session is None:
            self.load(self.day.plan_date if self.day else None)

    def load(self, plan_date: str | None = None) -> None:
        """Reads the day in the background (a routing server may be asked for travel times)."""
        self.status.setText("Loading the day…")
        self.reload_button.setEnabled(False)
        run_in_thread(lambda: self.service.load_day(plan_date), self._loaded, self._failed)

    def _loaded(self, day) -> None:
        self.reload_button.setEnabled(True)
        self.set_day(day)

    def set_day(self, day) -> None:
        """Shows a loaded RoutingDay (tests and callers that already have one use this directly)."""
        self.day = day
        self.plan = day.plan
        self.locked = set(day.locked)
        self.date_edit.setDate(QDate.fromString(day.plan_date, "yyyy-MM-dd"))
        self.van_combo.clear()
        self.what_if_combo.clear()
        self._what_if_choices = []
        for i, v in enumerate(day.vehicles):
            self.van_combo.addItem(v.name)
        if day.vehicles:
            self._what_if_choices.append(("add_van", 0))
            self.what_if_combo.addItem(f"One more van like {day.vehicles[0].name}")
        for i, v in enumerate(day.vehicles):
            self._what_if_choices.append(("longer_shift", i))
            self.what_if_combo.addItem(f"{v.name}'s shift 1 hour longer")
        if day.problem.matrix.source == "road":  # the shop's streets: how far off the straight-line estimate is
            self._what_if_choices.append(("travel", 0))
            self.what_if_combo.addItem("Streets vs straight lines")
        messages = [day.warning] if day.warning else []
        if day.dispatched:
            messages.append("This day is dispatched: changes you save go to the drivers' next run sheets.")
        if day.closed_note:
            messages.append(day.closed_note)
        self.status.setText(" ".join(messages) or f"{len(day.stops)} stops to plan on {day.plan_date}.")
        self._re_evaluate()
        for c in range(len(COLUMNS)):  # once per day, not on every change
            self.tree.resizeColumnToContents(c)
        for c in range(self.unplanned.columnCount()):
            self.unplanned.resizeColumnToContents(c)

    def _failed(self, exc: BaseException) -> None:
        self.reload_button.setEnabled(True)
        self._set_busy(False)
        self.status.setText(f"Could not plan: {exc}")

    # ----- changing the plan by hand -----
    def move_stop(self, stop: int, vehicle: int, position: int) -> None:
        """Moves a stop to `position` on `vehicle` and re-times every route at once."""
        current = self.plan.vehicle_of(stop)
        if current == vehicle and self.plan.routes[vehicle].index(stop) < position:
            position -= 1  # the stop leaves its old place first
        self.plan = self.plan.moved(stop, vehicle, position)
        self._retime({vehicle, current} - {None}, select=stop)

    def unplan_stop(self, stop: int) -> None:
        self.locked.discard(stop)
        vehicle = self.plan.vehicle_of(stop)
        self.plan = self.plan.without(stop)
        self._retime({vehicle} - {None})

    def toggle_lock(self, stop: int) -> None:
        if stop in self.locked:
            self.locked.discard(stop)
        elif self.plan.vehicle_of(stop) is not None:
            self.locked.add(stop)
        self._retime({self.plan.vehicle_of(stop)} - {None}, select=stop)

    def selected_stop(self) -> int | None:
        index = self.tree.currentIndex()
        if index.isValid() and self.tree.selectionModel().isSelected(index) and index.data(STOP_ROLE) is not None:
            return index.data(STOP_ROLE)
        item = self.unplanned.currentItem()
        if item is not None and item.isSelected():
            return item.data(0, STOP_ROLE)
        return None

    def select_stop(self, stop: int) -> None:
        index = self.route_model.stop_index(stop)
        if index.isValid():
            self.tree.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.tree.scrollTo(index)

    def _shift_selected(self, step: int) -> None:
        stop = self.selected_stop()
        vehicle = None if stop is None else self.plan.vehicle_of(stop)
        if vehicle is None:
            return
        index = self.plan.routes[vehicle].index(stop)
        target = max(0, min(len(self.plan.routes[vehicle]) - 1, index + step))
        if target != index:
            self.plan = self.plan.moved(stop, vehicle, target)
            self._retime({vehicle}, select=stop)

    def _toggle_selected_lock(self) -> None:
        stop = self.selected_stop()
        if stop is not None:
            self.toggle_lock(stop)

    def _move_selected_to_van(self) -> None:
        stop, vehicle = self.selected_stop(), self.van_combo.currentIndex()
        if stop is not None and vehicle >= 0:
            self.move_stop(stop, vehicle, len(self.plan.routes[vehicle]))

    def _unplan_selected(self) -> None:
        stop = self.selected_stop()
        if stop is not None and self.plan.vehicle_of(stop) is not None:
            self.unplan_stop(stop)

    # ----- re-optimising -----
    def reoptimise(self, seconds: float | None = None) -> None:
        """Starts the solver in its own process, from the current plan; the best plan so far is shown as it improves."""
        if self.day is None or self.session is not None:
            return
        self._set_busy(True)
        self.progress.setValue(0)
        self.status.setText("Re-optimising…")
        day, plan, locked = self.day, self.plan, frozenset(self.locked)
        # Starting a process pickles the whole day: done off the UI thread too.
        run_in_thread(lambda: self.service.start_planning(day, plan, locked, seconds), self._session_started, self._failed)

    def _session_started(self, session) -> None:
        self.session = session
        self._timer.start()

    def cancel(self) -> None:
        if self.session is not None:
            self.status.setText("Stopping; keeping the best plan so far…")
            session, self.session = self.session, None
            run_in_thread(lambda: (session.cancel(), session)[1], self._finish_session, self._failed)

    def _poll(self) -> None:
        session = self.session
        if session is None:
            self._timer.stop()
            return
        updates = session.poll()
        if updates:
            self._pending_update = updates[-1]
        self.progress.setValue(int(100 * session.progress))
        if self._pending_update is not None and session.elapsed - self._last_render >= RENDER_EVERY_S:
            self._apply_update()
        if session.finished:
            self.session = None
            self._finish_session(session)

    def _apply_update(self) -> None:
        update, self._pending_update = self._pending_update, None
        if update is None:
            return
        self.plan = update.plan
        self.evaluation = update.evaluation
        self._last_render = self.session.elapsed if self.session else 0.0
        self.reasons = {}
        self._render()

    def _finish_session(self, session) -> None:
        self._timer.stop()
        self._pending_update = session.best if session.best is not None else self._pending_update
        if self._pending_update is not None:
            self._apply_update()
        self._explain_later(session.reasons if session.best is not None and self.plan is session.best.plan else None)
        self._set_busy(False)
        self.progress.setValue(100)
        if session.error:
            self.status.setText(f"The solver failed: {session.error}")
        elif session.best is not None and self.evaluation is not None and not self._planned_stops():
            self.status.setText(" ".join(filter(None, [
                f"Nothing could be planned on {self.day.plan_date}: why is listed under each stop.", self.day.closed_note])))
        elif session.best is not None and self.evaluation is not None:
            self.status.setText(f"Re-optimised (best plan found after {session.best.at:.1f} s, {session.best.plan.engine}): "
                                f"{self.evaluation.distance / 1000:.1f} km, {len(self.evaluation.unplanned)} not planned. "
                                "Save the plan to keep it.")
        self.planChanged.emit()

    # ----- what-if -----
    def try_what_if(self, choice: int, seconds: float = 3.0) -> None:
        """Plans the day as it would be after a change, in its own process, and says what it would change."""
        if self.day is None or self._what_if is not None or not 0 <= choice < len(self._what_if_choices):
            return
        change, vehicle = self._what_if_choices[choice]
        day, plan, locked, before = self.day, self.plan, frozenset(self.locked), self.evaluation
        self.what_if_button.setEnabled(False)
        self.what_if_label.setText("Working out what that would change…")
        if change == "travel":
            run_in_thread(lambda: self.service.compare_travel(day, plan), self._travel_compared, self._failed)
            return
        run_in_thread(lambda: self.service.start_what_if(day, plan, locked, change, vehicle, seconds=seconds),
                      lambda started: self._what_if_started(started, before), self._failed)

    def _what_if_started(self, started, before) -> None:
        session, label = started
        self._what_if = (session, label, before)
        self._what_if_timer.start()

    def _travel_compared(self, comparison) -> None:
        self.what_if_button.setEnabled(True)
        self.what_if_label.setText(comparison.text())

    def _poll_what_if(self) -> None:
        session, label, before = self._what_if
        session.poll()
        if not session.finished:
            return
        self._what_if_timer.stop()
        self._what_if = None
        self.what_if_button.setEnabled(True)
        if session.best is None:
            self.what_if_label.setText(f"{label}: no plan found ({session.error or 'nothing feasible'}).")
        else:
            self.what_if_label.setText(compare_outcomes(label, before, session.best.evaluation).text())

    # ----- saving and run sheets -----
    def save(self) -> None:
        if self.day is None:
            return
        self.service.save_plan(self.day, self.plan, frozenset(self.locked))
        comparison = self.service.compare_with_previous(self.day.plan_date)
        self.status.setText("Plan saved." + (f" {comparison.text()}." if comparison else ""))

    def export_run_sheets(self, folder: str | Path) -> None:
        day, plan, evaluation = self.day, self.plan, self.evaluation
        run_in_thread(lambda: export_run_sheets(run_sheets(day, plan, evaluation), folder), self._exported, self._failed)

    def dispatch(self, folder: str | Path) -> None:
        day, plan, locked = self.day, self.plan, frozenset(self.locked)
        run_in_thread(lambda: self.service.dispatch(day, plan, locked, folder), self._exported, self._failed)

    def _exported(self, files: list[Path]) -> None:
        folder = files[0].parent if files else ""
        self.status.setText(f"Wrote {len(files) // 2} run sheets (PDF and CSV) to {folder}.")

    def _choose_folder(self, then) -> None:
        dialog = QFileDialog(self, "Folder for the run sheets")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(then)
        dialog.open()  # never exec(): the event loop keeps running

    # ----- drawing -----
    def _re_evaluate(self, select: int | None = None) -> None:
        if self.day is None:
            return
        self.evaluation = self.service.evaluate(self.day, self.plan, self.locked)
        self._render(select)
        self._explain_later()
        self.planChanged.emit()

    def _retime(self, vehicles: set[int], select: int | None = None) -> None:
        """After a hand change: only the touched routes are timed again, so the screen follows at once."""
        self.evaluation = self.service.retime(self.day, self.plan, self.locked, self.evaluation, vehicles)
        self._render(select)
        self._explain_later()
        self.planChanged.emit()

    def _explain_later(self, known: dict | None = None) -> None:
        """Reasons for unplanned stops, one stop per turn of the event loop.

        Explaining tries every position of every route. In a thread it would hold the GIL against the window
        (every item-model call needs it), so it runs here in slices of a few milliseconds instead; after a
        solve the solver process has already sent them.
        """
        self.reasons = dict(known or {})
        pending = [s for s in self.evaluation.unplanned if s not in self.reasons]
        if not pending or self.session is not None:
            self._render_unplanned()
            return
        plan, explain = self.plan, self.service.explainer(self.day, self.plan, frozenset(self.locked))

        def step() -> None:
            if self.plan is not plan or not pending:  # the plan changed again: a newer pass is running
                return
            stop = pending.pop(0)
            self.reasons[stop] = explain(stop)
            self._set_reason(stop)
            if pending:
                QTimer.singleShot(0, self, step)

        QTimer.singleShot(0, self, step)  # with the view as context: never after it is gone

    def _set_reason(self, stop: int) -> None:
        for i in range(self.unplanned.topLevelItemCount()):
            item = self.unplanned.topLevelItem(i)
            if item.data(0, STOP_ROLE) == stop:
                item.setText(2, self.reasons[stop].text)
                item.setToolTip(2, plain_tooltip(self.reasons[stop].text))
                return

    def _render(self, select: int | None = None) -> None:
        collapsed = {v for v in range(self.route_model.rowCount())
                     if not self.tree.isExpanded(self.route_model.index(v, 0))}
        self.route_model.show(self.day, self.evaluation, self.locked)
        for v in range(self.route_model.rowCount()):
            self.tree.setExpanded(self.route_model.index(v, 0), v not in collapsed)
        if select is not None:
            self.select_stop(select)
        self._render_unplanned()
        self._render_totals()

    def _render_unplanned(self) -> None:
        self.unplanned.clear()
        items = []
        for s in self.evaluation.unplanned:
            info = self.day.stops[s]
            reason = self.reasons.get(s)
            item = QTreeWidgetItem([info.order_ref, info.customer_name,
                                    reason.text if reason else "Being re-planned…" if self.session else "Checking why…"])
            item.setData(0, STOP_ROLE, s)
            item.setToolTip(2, plain_tooltip(item.text(2)))
            items.append(item)
        for info in self.day.unlocated:
            items.append(QTreeWidgetItem([info.order_ref, info.customer_name,
                                          f"The address ({info.address}) is not on the map yet: correct it to plan this stop."]))
        self.unplanned.addTopLevelItems(items)

    def _render_totals(self) -> None:
        e = self.evaluation
        late = sum(1 for r in e.routes for v in r.visits if v.late_by)
        used = sum(1 for r in e.routes if r.visits)
        hours = sum(r.duration for r in e.routes) / 3600
        text = (f"{used} vans, {sum(len(r.visits) for r in e.routes)} stops planned, {len(e.unplanned)} not planned, "
                f"{e.distance / 1000:.1f} km, {hours:.1f} van-hours")
        kept = not e.violations and self._planned_stops()  # promises on the vans kept; never said of an empty plan
        text += f", {late} late" if late else ", every promise kept" if kept else ""
        if e.violations and not late:
            text += f" — {len(e.violations)} problems: {e.violations[0]}"
        self.totals.setText(text)
        self._offer_save()

    def _planned_stops(self) -> int:
        return sum(len(r.visits) for r in self.evaluation.routes) if self.evaluation is not None else 0

    def _offer_save(self) -> None:
        """A plan with no stop on any van is nothing to keep or hand to drivers (e.g. re-optimised after closing)."""
        empty = not self._planned_stops()
        for button in (self.save_button, self.dispatch_button, self.export_button):
            button.setEnabled(self.session is None and not empty)
        self.save_button.setToolTip("No stop is planned: there is nothing to save" if empty else "")

    def _set_busy(self, busy: bool) -> None:
        self.optimise_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        self.progress.setVisible(busy)
        for w in (self.up_button, self.down_button, self.lock_button, self.move_button, self.unplan_button,
                  self.save_button, self.dispatch_button, self.export_button):
            w.setEnabled(not busy)
        if not busy:
            self._offer_save()

    def shutdown(self) -> None:
        """Ends a running solve (the main window calls this on close)."""
        self._timer.stop()
        self._what_if_timer.stop()
        if self.session is not None:
            self.session.cancel(grace=0.2)
            self.session = None
        if self._what_if is not None:
            self._what_if[0].cancel(grace=0.2)
            self._what_if = None
