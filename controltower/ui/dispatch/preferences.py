"""The shop's dispatch rules: what the recommendation prefers, avoids and keeps in balance."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QListWidget, QListWidgetItem,
    QVBoxLayout,
)

from ...services.dispatch import Preferences


class PreferencesDialog(QDialog):
    """`PreferencesDialog(dispatch_service)`: the rules are read from and saved through the dispatch service."""

    def __init__(self, service, parent=None, carriers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dispatch rules")
        self.service = service
        current = service.preferences
        if carriers is None:
            carriers = service.carrier_choices()
        self.prefer_own_fleet = QCheckBox("Prefer our own vans when they keep the promise, even if a carrier is cheaper")
        self.prefer_own_fleet.setChecked(current.prefer_own_fleet)
        self.excluded = QListWidget()
        for code, name in carriers:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if code in current.excluded_carriers else Qt.CheckState.Unchecked)
            self.excluded.addItem(item)
        self.floor = QDoubleSpinBox(minimum=0, maximum=100, decimals=0, suffix=" % on time", singleStep=5)
        self.floor.setSpecialValueText("No floor")
        self.floor.setValue(0 if current.reliability_floor is None else current.reliability_floor * 100)
        self.second = QComboBox()
        self.second.addItem("Nobody", None)
        for code, name in carriers:
            self.second.addItem(name, code)
        self.second.setCurrentIndex(max(self.second.findData(current.second_carrier), 0))
        self.share = QDoubleSpinBox(minimum=0, maximum=100, decimals=0, suffix=" % of carrier bookings", singleStep=5)
        self.share.setValue(current.second_carrier_share * 100)
        form = QFormLayout()
        form.addRow(self.prefer_own_fleet)
        form.addRow("Never use", self.excluded)
        form.addRow("Skip carriers under", self.floor)
        form.addRow("Keep work with", self.second)
        form.addRow("At least", self.share)
        note = QLabel("A carrier's on-time record counts once it has five deliveries with a promise.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def preferences(self) -> Preferences:
        excluded = frozenset(self.excluded.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.excluded.count())
                             if self.excluded.item(i).checkState() == Qt.CheckState.Checked)
        second = self.second.currentData()
        return Preferences(self.prefer_own_fleet.isChecked(), excluded, self.floor.value() / 100 or None, second,
                           self.share.value() / 100 if second else 0.0)

    def save(self) -> None:
        self.service.save_preferences(self.preferences())
        self.accept()
