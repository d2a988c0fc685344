"""The "New order" dialog for phone and counter orders: the customer's details, then the delivery options the shop can offer."""
from __future__ import annotations

import asyncio
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
    QSpinBox, QVBoxLayout,
)

from ...services.dispatch import DeliveryRequest
from ...domain import Address, DeliveryOption, GeoPoint, Money, Order
from ...domain.geo import km_too_far
from ...domain.timeutil import utcnow
from ..tasks import run_in_thread


# What a shop owner picks; each repeats on the first delivery's weekday or day of the month.
REPEATS = (("Does not repeat", ""), ("Every week", "FREQ=WEEKLY"), ("Every 2 weeks", "FREQ=WEEKLY;INTERVAL=2"),
           ("Every month", "FREQ=MONTHLY"))


class NewOrderDialog(QDialog):
    def __init__(self, service, parent=None, clock=utcnow, *, ratings=None) -> None:
        """`ratings` (the app's RatingsService): the customer's yes to "How did we do?" is recorded with the order."""
        super().__init__(parent)
        self.setWindowTitle("New order")
        self.service, self.clock, self.ratings = service, clock, ratings
        self.offers = []
        self.created_id: int | None = None
        self.located: GeoPoint | None = None  # where the geocoder placed the typed address (no typed position)
        self._located_for: Address | None = None
        settings = service.settings
        self.order_ref = QLineEdit(f"PH-{datetime.now():%y%m%d-%H%M%S}")
        self.customer = QLineEdit()
        self.phone = QLineEdit()
        self.email = QLineEdit()
        self.street = QLineEdit()
        self.city = QLineEdit(settings.shop_city)
        self.postcode = QLineEdit()
        self.position = QLineEdit(placeholderText="lat, lon (optional: from the map or the geocoder)")
        self.parcels = QSpinBox(minimum=1, maximum=50, value=1)
        self.weight = QDoubleSpinBox(minimum=0, maximum=500, value=1.0, suffix=" kg", decimals=1)
        self.basket = QDoubleSpinBox(minimum=0, maximum=1_000_000, value=0, decimals=2, prefix=f"{settings.currency} ")
        self.repeats = QComboBox()  # recurring deliveries (weekly flowers, monthly refills): an RFC 5545 repeat rule
        for label, rule in REPEATS:
            self.repeats.addItem(label, rule)
        self.rating_consent = QCheckBox("The customer agreed to be asked \"How did we do?\" after delivery")
        self.rating_consent.setVisible(ratings is not None)
        form = QFormLayout()
        for label, widget in (("Order number", self.order_ref), ("Customer", self.customer), ("Phone", self.phone),
                              ("Email", self.email), ("Street", self.street), ("City", self.city), ("Postcode", self.postcode),
                              ("Position", self.position), ("Parcels", self.parcels), ("Weight", self.weight),
                              ("Basket value", self.basket), ("Repeats", self.repeats)):
            form.addRow(label, widget)
        if ratings is not None:
            form.addRow("Rating", self.rating_consent)
        self.options = QListWidget()
        self.courier_quotes = []
        self.ask_couriers = QPushButton("Ask couriers for same-day")
        self.ask_couriers.setToolTip("Outside our zones a courier may still deliver today; asks them now")
        self.ask_couriers.clicked.connect(self.fetch_courier_quotes)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b3261e")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Delivery options"))
        layout.addWidget(self.options, 1)
        layout.addWidget(self.ask_couriers)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self.update_options)
        for widget in (self.postcode, self.position):
            widget.textChanged.connect(lambda _t: self._timer.start())
        # A typed address is placed by the app's geocoder (off the UI thread), so an address in the shop's zones
        # is offered the zone's options without anybody typing coordinates.
        self._locate_timer = QTimer(self, singleShot=True, interval=500)
        self._locate_timer.timeout.connect(self.locate_address)
        for widget in (self.street, self.city, self.postcode):
            widget.textChanged.connect(lambda _t: self._locate_timer.start())
        for spin in (self.parcels, self.weight, self.basket):
            spin.valueChanged.connect(lambda _v: self._timer.start())
        self.update_options()
        self.resize(520, 640)

    def _address(self) -> Address:
        return Address(self.street.text().strip(), self.city.text().strip(), self.postcode.text().strip(),
                       self.service.settings.shop_country)

    def locate_address(self) -> None:
        """Ask the geocoder where the typed address is, in a worker; the options follow when it answers."""
        address = self._address()
        if self.position.text().strip() or not (address.postcode or address.city) or address == self._located_for:
            return
        self._located_for, self.located = address, None

        def done(point) -> None:
            if address != self._located_for:
                return  # the address changed while it was being looked up: a newer look-up follows
            self.located = point
            settings = self.service.settings
            far = None if point is None else km_too_far(point.lat, point.lon, settings.shop_lat, settings.shop_lon)
            self.position.setPlaceholderText(
                "lat, lon (the address is not on the map: type its position)" if point is None
                else f"found {far:,.0f} km from the shop: check the address, or type its position" if far is not None
                else f"found on the map: {point.lat:.4f}, {point.lon:.4f} ({point.precision.value}); type to correct")
            self.update_options()

        def failed(error) -> None:
            self._located_for = None
            self.problem.setText(f"The address could not be looked up on the map: {error}")

        self.locate_task = run_in_thread(lambda: asyncio.run(self.service.locate(address)), done, failed)

    def _location(self) -> GeoPoint | None:
        text = self.position.text().strip()
        if not text:
            return self.located if self._located_for == self._address() else None
        try:
            lat, lon = (float(part) for part in text.replace(";", ",").split(","))
            return GeoPoint(lat, lon)
        except ValueError:
            return None

    def _request(self) -> DeliveryRequest:
        location = self._location()
        currency = self.service.settings.currency
        return DeliveryRequest(self.clock(), self.postcode.text().strip(), location.lat if location else None,
                               location.lon if location else None, self.parcels.value(), int(self.weight.value() * 1000),
                               Money.parse(f"{self.basket.value():.2f}", currency))

    def _draft(self, request: DeliveryRequest, option=DeliveryOption.SAME_DAY, window=None) -> Order:
        return Order(
            self.order_ref.text().strip() or "draft", self.customer.text().strip() or "Customer",
            self._address(),
            option, request.ordered_at, phone=self.phone.text().strip(), email=self.email.text().strip(),
            location=self._location(), promised_window=window, parcels=request.parcels, weight_g=request.weight_g,
            value=request.basket_value, source="phone",
        )

    def fetch_courier_quotes(self) -> None:
        """Ask the couriers off the UI thread; the options update when they answer."""
        draft = self._draft(self._request())
        self.ask_couriers.setEnabled(False)
        self.ask_couriers.setText("Asking couriers…")

        def done(quotes) -> None:
            self.courier_quotes = list(quotes)
            self.ask_couriers.setEnabled(True)
            self.ask_couriers.setText(f"Ask couriers again ({len(quotes)} quotes)")
            self.update_options()

        def failed(error) -> None:
            self.ask_couriers.setEnabled(True)
            self.ask_couriers.setText("Ask couriers for same-day")
            self.problem.setText(f"Couriers could not be asked: {error}")

        self.task = run_in_thread(lambda: asyncio.run(self.service.courier_quotes(draft)), done, failed)

    def update_options(self) -> None:
        settings = self.service.settings
        self.offers = self.service.options_for(self._request(), self.courier_quotes)
        self.options.clear()
        for offer in self.offers:
            text = f"{offer.title(settings)} — {offer.price.format()}"
            if offer.note:
                text += f" ({offer.note})"
            item = QListWidgetItem(text)
            if not offer.available:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable & ~Qt.ItemFlag.ItemIsEnabled)
            self.options.addItem(item)
        first = next((i for i, o in enumerate(self.offers) if o.available), None)
        if first is not None:
            self.options.setCurrentRow(first)

    def save(self) -> None:
        row = self.options.currentRow()
        offer = self.offers[row] if 0 <= row < len(self.offers) else None
        if not self.customer.text().strip() or not self.order_ref.text().strip():
            self.problem.setText("Enter the order number and the customer's name.")
            return
        if offer is None or not offer.available:
            self.problem.setText("Choose one of the delivery options the shop can offer.")
            return
        if offer.option.value != "pickup" and not self.street.text().strip():
            self.problem.setText("Enter the street for a delivery, or choose in-store pickup.")
            return
        order = self._draft(self._request(), offer.option, offer.promised_window)
        try:
            self.created_id = self.service.create_order(order, repeat_rule=self.repeats.currentData() or "")
            if self.ratings is not None and self.rating_consent.isChecked():
                self.ratings.set_consent(self.created_id, True, source="new order")
        except Exception as error:  # shown in the dialog, never swallowed
            self.problem.setText(f"Could not save the order: {error}")
            return
        self.accept()
