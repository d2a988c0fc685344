"""The item model behind the route tree: vans as rows, their stops beneath, read lazily from an Evaluation."""
from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from ...services.routing import slack_text
from ..plain import plain_tooltip

STOP_ROLE = Qt.ItemDataRole.UserRole + 1  # stop index on stop rows
VEHICLE_ROLE = Qt.ItemDataRole.UserRole + 2  # vehicle index on every row
COLUMNS = ["#", "Order", "Customer", "Arrive", "Promised", "Slack", "Load", "Locked"]
LOCKED = COLUMNS.index("Locked")
LATE = QColor("#f8d0d0")
TIGHT = QColor("#fff1c4")
TIGHT_SLACK_S = 15 * 60


class RouteModel(QAbstractItemModel):
    """Only the rows on screen are ever asked for, so a 400-stop day redraws in a few milliseconds.

    Internal ids: 0 marks a van row; v + 1 marks a stop row under van v.
    """

    lockToggled = Signal(int)  # stop

    def __init__(self) -> None:
        super().__init__()
        self.day = None
        self.evaluation = None
        self.locked: set[int] = set()

    def show(self, day, evaluation, locked: set[int]) -> None:
        self.beginResetModel()
        self.day, self.evaluation, self.locked = day, evaluation, set(locked)
        self.endResetModel()

    # ----- structure -----
    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, 0 if not parent.isValid() else parent.row() + 1)

    def parent(self, index: QModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        if self.evaluation is None:
            return 0
        if not parent.isValid():
            return len(self.evaluation.routes)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self.evaluation.routes[parent.row()].visits)
        return 0

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: QModelIndex):
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        if index.internalId() == 0:
            return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsDropEnabled
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        if index.column() == LOCKED:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def supportedDropActions(self):  # noqa: N802
        return Qt.DropAction.MoveAction

    # ----- content -----
    def stop_index(self, stop: int, column: int = 0) -> QModelIndex:
        for v, report in enumerate(self.evaluation.routes if self.evaluation else ()):
            for n, visit in enumerate(report.visits):
                if visit.stop == stop:
                    return self.index(n, column, self.index(v, 0))
        return QModelIndex()

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.evaluation is None:
            return None
        if index.internalId() == 0:
            return self._van_data(index.row(), index.column(), role)
        report = self.evaluation.routes[index.internalId() - 1]
        return self._stop_data(report, index.row(), index.column(), role)

    def setData(self, index: QModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if index.isValid() and index.internalId() and index.column() == LOCKED and role == Qt.ItemDataRole.CheckStateRole:
            stop = self.evaluation.routes[index.internalId() - 1].visits[index.row()].stop
            self.lockToggled.emit(stop)
            return True
        return False

    def _van_data(self, v: int, column: int, role: int):
        report = self.evaluation.routes[v]
        if role == VEHICLE_ROLE:
            return v
        if role == Qt.ItemDataRole.DisplayRole:
            van = self.day.vehicles[v]
            capacity = self.day.problem.vehicles[v].capacity[0]
            span = f"{self.day.local(report.start):%H:%M}–{self.day.local(report.end):%H:%M}" if report.visits else ""
            return ["", van.name, van.driver_name, span, f"{len(report.visits)} stops", f"{report.distance / 1000:.1f} km",
                    f"{report.max_load[0]}/{capacity}", ""][column]
        if role == Qt.ItemDataRole.BackgroundRole and report.violations and column == 1:
            return QBrush(LATE)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = list(report.violations)
            brk = self.day.problem.vehicles[v].driver_break
            if report.break_start is not None and brk is not None:
                start = self.day.local(report.break_start)
                lines.append(f"Break {start:%H:%M}–{self.day.local(report.break_start + brk.duration):%H:%M}")
            return plain_tooltip("\n".join(lines)) or None  # van names are the shop's text, never markup
        return None

    def _stop_data(self, report, row: int, column: int, role: int):
        visit = report.visits[row]
        if role == STOP_ROLE:
            return visit.stop
        if role == VEHICLE_ROLE:
            return report.vehicle
        info = self.day.stops[visit.stop]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return str(row + 1)
            if column == 1:
                return info.order_ref
            if column == 2:
                return info.customer_name
            if column == 3:  # when the customer is served: an early van waits for the window
                return f"{self.day.local(visit.start):%H:%M}"
            if column == 4:
                window = info.promised_window
                tz = self.day.local(0).tzinfo
                return f"{window.start.astimezone(tz):%H:%M}–{window.end.astimezone(tz):%H:%M}" if window else "any time"
            if column == 5:
                return f"late {slack_text(visit.late_by)}" if visit.late_by else slack_text(visit.slack)
            if column == 6:
                return str(visit.load_after[0]) if visit.load_after else ""
            return ""
        if role == Qt.ItemDataRole.CheckStateRole and column == LOCKED:
            return Qt.CheckState.Checked if visit.stop in self.locked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.BackgroundRole:
            if visit.late_by:
                return QBrush(LATE)
            if column == 5 and visit.slack < TIGHT_SLACK_S:
                return QBrush(TIGHT)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return plain_tooltip(info.address)
        if role == Qt.ItemDataRole.ToolTipRole and column == 3 and visit.start > visit.arrival:
            wait = (visit.start - visit.arrival) // 60
            return f"Arrives {self.day.local(visit.arrival):%H:%M} and waits {wait} min for the promised window"
        return None
