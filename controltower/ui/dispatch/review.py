"""Review the day's allocation before anything is booked; confirm, then see what was and wasn't booked."""
from __future__ import annotations

import asyncio
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton, QTableWidgetItem,
    QVBoxLayout,
)

from ...services.dispatch import FAILED
from ..tasks import run_in_thread
from .tables import read_only_table
from ..plain import plain_tooltip

COLUMNS = ("Order", "Customer", "Way", "Cost", "Why", "Result")


class DayReviewDialog(QDialog):
    def __init__(self, plan, service, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dispatch the day")
        self.plan, self.service, self.report = plan, service, None
        allocation = plan.allocation
        method = "best possible" if allocation.proven_optimal else ("good" if allocation.method == "heuristic" else "best found")
        self.summary = QLabel(
            f"{len(allocation.chosen)} orders to book for {allocation.total.format()} ({method} split); "
            f"{len(allocation.unplaced)} need a decision by hand. Nothing is booked until you confirm."
            + "".join(f"\n{note}" for note in allocation.notes))
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # carrier names are the user's text
        self.table = read_only_table(COLUMNS)
        why = COLUMNS.index("Why")  # reasons are long: a fixed width, the whole text in the tooltip
        self.table.horizontalHeader().setSectionResizeMode(why, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(why, 420)
        self._fill()
        self.buttons = QDialogButtonBox()
        self.confirm_button = self.buttons.addButton("Confirm and book", QDialogButtonBox.ButtonRole.AcceptRole)
        self.manifest_button = QPushButton("Save manifests")
        self.manifest_button.setEnabled(False)
        self.buttons.addButton(self.manifest_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.labels_button = QPushButton("Get carrier labels")
        self.labels_button.setToolTip("Once the carriers have confirmed the bookings, fetch their labels to print")
        self.labels_button.setEnabled(False)
        self.buttons.addButton(self.labels_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.labels_button.clicked.connect(self.get_labels)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.confirm)
        self.buttons.rejected.connect(self.reject)
        self.manifest_button.clicked.connect(self.save_manifests)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(1100, 480)

    def _fill(self) -> None:
        lines = self.plan.lines()
        results = {line.order_id: line for line in self.report.lines} if self.report else {}
        self.table.setRowCount(len(lines))
        for r, (order, choice, unplaced) in enumerate(lines):
            result = results.get(order.id)
            result_text = "" if result is None else (result.outcome + (f": {result.message}" if result.message else ""))
            cells = (order.order_ref, order.customer_name, choice.label if choice else f"— {unplaced}",
                     choice.cost.format() if choice else "", self.plan.reason(order.id), result_text)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(plain_tooltip(text))
                if (result and result.outcome == FAILED) or (choice is None and c == 2):
                    item.setForeground(QBrush(QColor("#b3261e")))
                self.table.setItem(r, c, item)

    def confirm(self) -> None:
        """Book in the background; a second press after a partial failure retries only what is not booked."""
        self.confirm_button.setEnabled(False)
        self.summary.setText("Booking…")
        choices = list(self.plan.allocation.chosen.values())
        self.task = run_in_thread(lambda: self.service.confirm(choices), self._booked, self._failed)

    def _booked(self, report) -> None:
        self.report = report
        self._fill()
        failed = report.failed
        self.summary.setText(report.summary() + (" Fix the failed ones and press Retry." if failed else ""))
        self.confirm_button.setText("Retry")
        self.confirm_button.setEnabled(bool(failed))
        self.manifest_button.setEnabled(True)
        self.labels_button.setEnabled(bool(self._carrier_lines()))

    def _carrier_lines(self) -> list:
        """Booked lines that a carrier collects (they get carrier labels and a manifest)."""
        return [line for line in self.report.lines
                if line.shipment_id and line.outcome != FAILED and line.carrier not in ("own_fleet", "pickup")]

    def get_labels(self) -> None:
        ids = [line.shipment_id for line in self._carrier_lines()]
        self.labels_button.setEnabled(False)

        def done(results) -> None:
            saved, problems = results
            waiting = len(ids) - len(saved) - len(problems)
            text = f"{len(saved)} label(s) saved with their shipments."
            if problems:
                text += " " + "; ".join(sorted(set(problems.values()))) + "."
            if waiting:
                text += f" {waiting} booking(s) not confirmed by the carrier yet: try again in a moment."
            self.summary.setText(text)
            self.labels_button.setEnabled(True)

        self.labels_task = run_in_thread(lambda: asyncio.run(self.service.collect_labels(ids)), done, self._failed)

    def _failed(self, error) -> None:
        self.summary.setText(f"Booking stopped: {error}")
        self.confirm_button.setEnabled(True)

    def save_manifests(self) -> list:
        """One handover manifest per carrier collection, next to the store."""
        if self.report is None:
            return []
        by_carrier: dict[str, list[int]] = {}
        for line in self._carrier_lines():
            by_carrier.setdefault(line.carrier, []).append(line.shipment_id)
        now = datetime.now().astimezone()
        paths = [self.service.save_manifest(carrier, ids, now) for carrier, ids in by_carrier.items()]
        self.summary.setText(f"Saved {len(paths)} manifest(s) in {self.service.documents_dir}." if paths
                             else "No carrier collections to hand over.")
        return paths
