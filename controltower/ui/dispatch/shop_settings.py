"""The shop's delivery settings: opening hours, cut-offs, slots, prices and delivery zones."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QPlainTextEdit, QSpinBox, QTimeEdit, QVBoxLayout,
)

from ...services.dispatch import ShopSettings, Zone
from ...domain import DeliveryOption, Money
from ...domain.money import exponent

ZONE_HELP = "One zone a line: name; radius in km (or blank); postcodes, comma-separated, * for a prefix; surcharge"


def zones_to_text(zones: tuple[Zone, ...], currency: str) -> str:
    lines = []
    for zone in zones:
        radius = "" if zone.radius_km is None else f"{zone.radius_km:g}"
        lines.append(f"{zone.name}; {radius}; {', '.join(zone.postcodes)}; {Money(zone.surcharge_minor, currency).decimal:.{exponent(currency)}f}")
    return "\n".join(lines)


def zones_from_text(text: str, currency: str) -> tuple[Zone, ...]:
    """Zones from the editor's lines; a line that cannot be read raises ValueError naming it."""
    zones = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")] + ["", "", ""]
        name, radius, postcodes, surcharge = parts[:4]
        try:
            zone = Zone(name or f"Zone {number}", float(radius) if radius else None,
                        tuple(p.strip() for p in postcodes.split(",") if p.strip()),
                        Money.parse(surcharge, currency).amount_minor if surcharge else 0)
        except (ValueError, ArithmeticError) as error:
            raise ValueError(f"line {number} of the zones is not 'name; km; postcodes; surcharge': {line!r}") from error
        if zone.radius_km is None and not zone.postcodes:
            raise ValueError(f"line {number} of the zones has neither a radius nor postcodes")
        zones.append(zone)
    return tuple(zones)


def _time(text: str) -> QTimeEdit:
    edit = QTimeEdit(QTime.fromString(text, "HH:mm"))
    edit.setDisplayFormat("HH:mm")
    return edit


class ShopSettingsDialog(QDialog):
    """`ShopSettingsDialog(dispatch_service)`: the settings are read from and saved through the dispatch service."""

    def __init__(self, service, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Delivery settings")
        self.service = service
        self.current = current = service.settings
        money = lambda minor: QDoubleSpinBox(minimum=0, maximum=100_000, decimals=2, value=minor / 100,  # noqa: E731
                                            prefix=f"{current.currency} ")
        self.opens, self.closes = _time(current.opens), _time(current.closes)
        self.same_day_cutoff, self.express_cutoff = _time(current.same_day_cutoff), _time(current.express_cutoff)
        self.slot_first, self.slot_last_end = _time(current.slot_first), _time(current.slot_last_end)
        self.slot_minutes = QSpinBox(minimum=30, maximum=480, singleStep=30, value=current.slot_minutes, suffix=" min")
        self.slot_capacity = QSpinBox(minimum=1, maximum=100, value=current.slot_capacity_per_van, suffix=" stops per van")
        self.prices = {option: money(current.prices_minor.get(option.value, 0)) for option in DeliveryOption}
        self.free_over = money(current.free_delivery_threshold_minor or 0)
        self.free_over.setSpecialValueText("Never free")
        self.per_hour, self.per_km = money(current.cost_per_hour_minor), money(current.cost_per_km_minor)
        self.zones = QPlainTextEdit(zones_to_text(current.zones, current.currency))
        self.zones.setPlaceholderText(ZONE_HELP)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b3261e")
        form = QFormLayout()
        form.addRow("Opens", self.opens)
        form.addRow("Closes", self.closes)
        form.addRow("Same-day cut-off", self.same_day_cutoff)
        form.addRow("Express cut-off", self.express_cutoff)
        form.addRow("First slot starts", self.slot_first)
        form.addRow("Last slot ends", self.slot_last_end)
        form.addRow("Slot length", self.slot_minutes)
        form.addRow("Van capacity", self.slot_capacity)
        for option, spin in self.prices.items():
            form.addRow(f"{option.label} price", spin)
        form.addRow("Standard free over", self.free_over)
        form.addRow("Van driver cost", self.per_hour)
        form.addRow("Van cost per km", self.per_km)
        form.addRow(QLabel(ZONE_HELP))
        form.addRow(self.zones)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def settings(self) -> ShopSettings:
        current = self.current
        minor = lambda spin: Money.parse(f"{spin.value():.2f}", current.currency).amount_minor  # noqa: E731
        hhmm = lambda edit: edit.time().toString("HH:mm")  # noqa: E731
        return replace(
            current, opens=hhmm(self.opens), closes=hhmm(self.closes), same_day_cutoff=hhmm(self.same_day_cutoff),
            express_cutoff=hhmm(self.express_cutoff), slot_first=hhmm(self.slot_first), slot_last_end=hhmm(self.slot_last_end),
            slot_minutes=self.slot_minutes.value(), slot_capacity_per_van=self.slot_capacity.value(),
            prices_minor={option.value: minor(spin) for option, spin in self.prices.items()},
            free_delivery_threshold_minor=minor(self.free_over) or None,
            cost_per_hour_minor=minor(self.per_hour), cost_per_km_minor=minor(self.per_km),
            zones=zones_from_text(self.zones.toPlainText(), current.currency),
        )

    def save(self) -> None:
        try:
            settings = self.settings()
        except ValueError as error:
            self.problem.setText(str(error))
            return
        if settings.slot_first >= settings.slot_last_end or settings.opens >= settings.closes:
            self.problem.setText("The day must start before it ends (opening hours and slots).")
            return
        self.service.save_settings(settings)
        self.accept()
