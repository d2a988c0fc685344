"""Table models for the import wizard: the file's rows with their verdict, and the list of rejected cells."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ...services.imports import PREVIEW_ROWS, CheckSummary, Table
_REJECTED = QBrush(QColor("#fde2e1"))
_ANSWERED = frozenset((Qt.DisplayRole, Qt.ToolTipRole, Qt.BackgroundRole, Qt.ForegroundRole))
_REJECTED_TEXT = QBrush(QColor("#b71c1c"))


class PreviewModel(QAbstractTableModel):
    """The first rows of the file as read, a first column saying "OK" or why the row was rejected."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.table: Table | None = None
        self.reasons: dict[int, str] = {}  # row index -> reasons

    def show(self, table: Table | None, prepared: CheckSummary | None) -> None:
        self.beginResetModel()
        self.table = table
        self.reasons = {}
        if table is not None and prepared is not None:
            shown = min(len(table.rows), PREVIEW_ROWS)  # only the rows on screen need their reasons
            by_number: dict[int, list[str]] = {}
            for problem in prepared.problems:
                if problem.row - 2 < shown:
                    by_number.setdefault(problem.row, []).append(f"{problem.column}: {problem.reason}")
            for index in prepared.rejected_rows:
                if index >= shown:
                    break
                self.reasons[index] = "; ".join(by_number.get(table.row_number(index), ["another row of this order was rejected"]))
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() or self.table is None else min(len(self.table.rows), PREVIEW_ROWS)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() or self.table is None else len(self.table.headers) + 1

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role != Qt.DisplayRole or self.table is None:
            return None
        if orientation == Qt.Horizontal:
            return "Check" if section == 0 else self.table.headers[section - 1]
        return str(self.table.row_number(section))

    def data(self, index, role=Qt.DisplayRole):
        # Asked for about ten roles per visible cell on every paint: the ones not answered leave at once.
        if role not in _ANSWERED or self.table is None or not index.isValid():
            return None
        row, column = index.row(), index.column()
        reason = self.reasons.get(row)
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            if column == 0:
                return reason or "OK"
            value = self.table.rows[row][column - 1]
            return value.replace("\n", " ⏎ ") if role == Qt.DisplayRole else value
        if role == Qt.BackgroundRole and reason:
            return _REJECTED
        if role == Qt.ForegroundRole and reason and column == 0:
            return _REJECTED_TEXT
        return None


class RejectsModel(QAbstractTableModel):
    """Every rejected cell: row, column, reason and the value, which can be corrected in place."""

    HEADERS = ("Row", "Column", "Reason", "Value (double-click to fix)")

    def __init__(self, on_fix, parent=None) -> None:
        super().__init__(parent)
        self.on_fix = on_fix  # (row index, column index, new text) -> None
        self.table: Table | None = None
        self.problems: list = []
        self.fixed: dict[tuple[int, int], str] = {}  # corrections typed here, shown until the re-check arrives

    def show(self, table: Table | None, prepared: CheckSummary | None) -> None:
        self.beginResetModel()
        self.table = table
        self.problems = list(prepared.problems) if prepared else []
        self.fixed: dict[tuple[int, int], str] = {}
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.problems)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.HEADERS[section]
        return None

    def _cell(self, problem) -> tuple[int, int] | None:
        if self.table is None or problem.column not in self.table.headers:
            return None
        return problem.row - 2, self.table.headers.index(problem.column)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        problem = self.problems[index.row()]
        if role in (Qt.DisplayRole, Qt.EditRole, Qt.ToolTipRole):
            if index.column() == 0:
                return str(problem.row)
            if index.column() == 1:
                return problem.column
            if index.column() == 2:
                return problem.reason
            cell = self._cell(problem)
            return self.fixed.get(cell, problem.value) if cell else problem.value
        return None

    def flags(self, index):
        base = super().flags(index)
        if index.isValid() and index.column() == 3 and self._cell(self.problems[index.row()]) is not None:
            return base | Qt.ItemIsEditable
        return base

    def setData(self, index, value, role=Qt.EditRole):  # noqa: N802
        if role != Qt.EditRole or index.column() != 3:
            return False
        cell = self._cell(self.problems[index.row()])
        if cell is None:
            return False
        self.fixed[cell] = str(value)
        self.on_fix(cell[0], cell[1], str(value))
        return True
