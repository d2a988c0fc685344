"""The setup pages, shared by the setup assistant and the Settings window: each loads from and saves through SetupService."""
from __future__ import annotations

import asyncio
from dataclasses import replace

import shiboken6
from PySide6.QtCore import Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
                               QTimeEdit, QVBoxLayout, QWidget, QWizardPage)

from ...kernel.errors import UserFacingError
from ...services.setup import DepotDetails, Senders, VanDetails, Zone
from ..tasks import run_in_thread
from .place_map import PlaceMap, zone_shapes


def _time(text: str) -> QTimeEdit:
    edit = QTimeEdit(QTime.fromString(text or "09:00", "HH:mm"))
    edit.setDisplayFormat("HH:mm")
    return edit


def _hhmm(edit: QTimeEdit) -> str:
    return edit.time().toString("HH:mm")


def _coordinate(limit: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(-limit, limit)
    box.setDecimals(5)
    return box


class SetupPage(QWizardPage):
    """A page that shows what the store holds (`load`) and writes it back (`save`); Next or Save calls `commit`."""

    key = ""
    title_text = ""
    subtitle_text = ""

    def __init__(self, core, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core, self.setup = core, core.setup
        self.setTitle(self.title_text)
        self.setSubTitle(self.subtitle_text)
        self.layout_ = QVBoxLayout(self)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b71c1c")

    def finish_layout(self) -> None:
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.message)

    def add_table(self, thing: str, add, remove) -> None:
        """The page's table (columns: HEADERS) with its Add and Remove buttons under it."""
        self.table = _Table(self.HEADERS)
        self.layout_.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.add_button, self.remove_button = QPushButton(f"Add a {thing}"), QPushButton(f"Remove the selected {thing}")
        self.add_button.clicked.connect(lambda: add())
        self.remove_button.clicked.connect(lambda: remove())
        for button in (self.add_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)

    def load(self) -> None:
        pass

    def save(self) -> None:
        pass

    def commit(self) -> bool:
        """Save this page; a mistake is said on the page and keeps the user here."""
        try:
            self.save()
        except (UserFacingError, ValueError) as exc:
            advice = getattr(exc, "advice", "")
            self.message.setText(f"{getattr(exc, 'message', exc)} {advice}".strip())
            return False
        self.message.clear()
        return True

    def validatePage(self) -> bool:
        return self.commit()


class ShopPage(SetupPage):
    key, title_text = "shop", "Your shop"
    subtitle_text = "Its name and address: the map centres here, and the vans start here unless you say otherwise."
    located = Signal(bool)  # a Find finished: whether the address was placed

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        form = QFormLayout()
        self.name, self.street, self.city, self.postcode = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.country = QLineEdit("US")
        self.country.setMaxLength(2)
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("couriers call it to collect: (503) 555-0199")
        for label, edit in (("Shop name", self.name), ("Street", self.street), ("City", self.city),
                            ("Postcode", self.postcode), ("Country (2 letters)", self.country), ("Shop phone", self.phone)):
            form.addRow(label, edit)
        self.find_button = QPushButton("Find on the map")
        self.find_button.clicked.connect(self.find)
        self.pin = QLabel("Not placed yet: press Find on the map, or type the latitude and longitude.")
        self.pin.setWordWrap(True)
        self.lat, self.lon = _coordinate(90), _coordinate(180)
        where = QHBoxLayout()
        where.addWidget(self.lat)
        where.addWidget(self.lon)
        where.addWidget(self.find_button)
        form.addRow("Latitude, longitude", where)
        form.addRow("", self.pin)
        self.timezone = QComboBox()
        self.timezone.addItems(self.setup.zone_names())
        self.timezone.setEditable(True)
        self.currency = QComboBox()
        self.currency.addItems(self.setup.currencies())
        form.addRow("Time zone", self.timezone)
        form.addRow("Currency", self.currency)
        self.exchange_rates = QLineEdit()
        self.exchange_rates.setPlaceholderText("quotes in other currencies: EUR 1.08 2026-12-01; GBP 1.27")
        self.exchange_rates.setToolTip("1 unit of each currency in yours, and the day you took the rate. A quote in a "
                                       "currency without a rate is set aside, never compared by its digits.")
        form.addRow("Exchange rates", self.exchange_rates)
        self.layout_.addLayout(form)
        self.place = PlaceMap(core)  # the pin: drag it to correct the address; the zones drawn around it
        self.place.setMinimumHeight(160)
        self.layout_.addWidget(self.place, 10)
        self.finish_layout()
        self.load()
        self.place.pinMoved.connect(self.pin_dragged)
        self.lat.valueChanged.connect(self.show_pin)
        self.lon.valueChanged.connect(self.show_pin)
        self.show_pin()

    def load(self) -> None:
        shop = self.setup.shop()
        for edit, value in ((self.name, shop.name), (self.street, shop.street), (self.city, shop.city),
                            (self.postcode, shop.postcode), (self.country, shop.country), (self.phone, shop.phone)):
            edit.setText(value)
        if shop.lat is not None:
            self.lat.setValue(shop.lat)
            self.lon.setValue(shop.lon)
            self.pin.setText(f"Pinned at {shop.lat:.5f}, {shop.lon:.5f}.")
        self.timezone.setCurrentText(shop.timezone)
        self.currency.setCurrentText(shop.currency)
        self.exchange_rates.setText(shop.exchange_rates)
        self.zones = self.setup.zones()

    def show_pin(self) -> None:
        """The pin where the latitude and longitude say, the zones' circles around it."""
        lat, lon = self.lat.value(), self.lon.value()
        self.place.set_pin(lat, lon)
        placed = lat != 0 or lon != 0
        self.place.show_zones((lat, lon) if placed else None, zone_shapes(self.zones, {}))

    def pin_dragged(self, lat: float, lon: float) -> None:
        self.lat.setValue(lat)
        self.lon.setValue(lon)
        self.pin.setText(f"Moved to {self.lat.value():.5f}, {self.lon.value():.5f}: saved with the shop.")

    def details(self):
        placed = self.lat.value() != 0 or self.lon.value() != 0
        return replace(self.setup.shop(), name=self.name.text().strip(), street=self.street.text().strip(),
                       city=self.city.text().strip(), postcode=self.postcode.text().strip(),
                       country=self.country.text().strip().upper() or "US",
                       lat=self.lat.value() if placed else None, lon=self.lon.value() if placed else None,
                       timezone=self.timezone.currentText().strip(), currency=self.currency.currentText(),
                       phone=self.phone.text().strip(), exchange_rates=self.exchange_rates.text().strip())

    def find(self) -> None:
        """Look the address up with the app's geocoder in a worker; the pin and a proposed time zone come back."""
        address = self.details().address
        self.find_button.setEnabled(False)
        self.pin.setText(f"Looking for {address.one_line()}…")

        def done(point) -> None:
            self.find_button.setEnabled(True)
            if point is None:
                self.pin.setText("That address was not found: check the postcode, or type the latitude and longitude.")
                self.located.emit(False)
                return
            self.lat.setValue(point.lat)
            self.lon.setValue(point.lon)
            zone = self.setup.propose_zone(address.country, point.lon)
            self.timezone.setCurrentText(zone)
            self.pin.setText(f"Found at {point.lat:.5f}, {point.lon:.5f} ({point.precision.words}); time zone {zone}. "
                             "Check the pin and correct the numbers if it is off.")
            self.located.emit(True)

        def failed(exc: BaseException) -> None:
            self.find_button.setEnabled(True)
            self.pin.setText(f"The address could not be looked up: {exc}")
            self.located.emit(False)

        run_in_thread(lambda: asyncio.run(self.setup.locate(address)), done, failed)

    def save(self) -> None:
        self.setup.save_shop(self.details())


class HoursPage(SetupPage):
    key, title_text = "hours", "Opening hours and cut-offs"
    subtitle_text = "Orders in before a cut-off go out that day (same day) or next morning (express)."

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        form = QFormLayout()
        shop = self.setup.shop()
        self.opens, self.closes = _time(shop.opens), _time(shop.closes)
        self.same_day_cutoff, self.express_cutoff = _time(shop.same_day_cutoff), _time(shop.express_cutoff)
        form.addRow("Opens", self.opens)
        form.addRow("Closes", self.closes)
        form.addRow("Same-day orders until", self.same_day_cutoff)
        form.addRow("Next-morning (express) orders until", self.express_cutoff)
        self.layout_.addLayout(form)
        self.finish_layout()

    def save(self) -> None:
        if self.closes.time() <= self.opens.time():
            raise ValueError("The shop closes before it opens: check the hours.")
        if not self.setup.progress().shop_set_up:
            return  # the hours go in with the shop's details
        self.setup.save_shop(replace(self.setup.shop(), opens=_hhmm(self.opens), closes=_hhmm(self.closes),
                                     same_day_cutoff=_hhmm(self.same_day_cutoff),
                                     express_cutoff=_hhmm(self.express_cutoff)))


class DepotPage(SetupPage):
    key, title_text = "depot", "Where the vans start"
    subtitle_text = "Routes start and end at the depot: your shop's address unless the vans are kept elsewhere."

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        self.at_shop = QCheckBox("The vans start and end at the shop")
        self.at_shop.setChecked(True)
        self.layout_.addWidget(self.at_shop)
        form = QFormLayout()
        self.name, self.street, self.city, self.postcode = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.lat, self.lon = _coordinate(90), _coordinate(180)
        for label, edit in (("Depot name", self.name), ("Street", self.street), ("City", self.city),
                            ("Postcode", self.postcode), ("Latitude", self.lat), ("Longitude", self.lon)):
            form.addRow(label, edit)
        self.fields = QWidget()
        self.fields.setLayout(form)
        self.layout_.addWidget(self.fields)
        self.at_shop.toggled.connect(lambda on: self.fields.setEnabled(not on))
        self.fields.setEnabled(False)
        self.finish_layout()

    def initializePage(self) -> None:
        self.load()

    def load(self) -> None:
        depot = self.setup.depot()
        shop = self.setup.shop()
        if depot is not None:
            self.name.setText(depot.name)
            self.street.setText(depot.street)
            self.city.setText(depot.city)
            self.postcode.setText(depot.postcode)
            self.lat.setValue(depot.lat)
            self.lon.setValue(depot.lon)
            self.at_shop.setChecked((depot.lat, depot.lon) == (shop.lat, shop.lon))

    def save(self) -> None:
        depot, shop = self.setup.depot(), self.setup.shop()
        depot_id = None if depot is None else depot.id
        if self.at_shop.isChecked():
            if shop.lat is None:
                raise ValueError("Place the shop on the map first (the Your shop page).")
            self.setup.save_depot(DepotDetails(shop.name, shop.street, shop.city, shop.postcode, shop.country,
                                               shop.lat, shop.lon, depot_id))
            return
        if not self.name.text().strip() or (self.lat.value() == 0 and self.lon.value() == 0):
            raise ValueError("The depot needs a name and its latitude and longitude.")
        self.setup.save_depot(DepotDetails(self.name.text().strip(), self.street.text().strip(), self.city.text().strip(),
                                           self.postcode.text().strip(), shop.country, self.lat.value(), self.lon.value(),
                                           depot_id))


class _Table(QTableWidget):
    """A table of plain text cells; the row's stored id rides on its first cell."""

    def __init__(self, headers: list[str]) -> None:
        super().__init__(0, len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)

    def add_row(self, values: list, row_id=None) -> int:
        row = self.rowCount()
        self.insertRow(row)
        for column, value in enumerate(values):
            item = QTableWidgetItem("" if value is None else str(value))
            if column == 0:
                item.setData(Qt.ItemDataRole.UserRole, row_id)
            self.setItem(row, column, item)
        return row

    def text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return "" if item is None else item.text().strip()

    def row_id(self, row: int):
        item = self.item(row, 0)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)


def _number(text: str, what: str, kind=float):
    try:
        return kind(text.replace(",", ".")) if text else kind(0)
    except ValueError:
        raise ValueError(f"{what}: '{text}' is not a number.") from None


class VansPage(SetupPage):
    key, title_text = "vans", "Vans and drivers"
    subtitle_text = ("Each van's room, what it costs to run, and its driver's shift and break, as the route planner "
                     "uses them. Costs are in your currency (0.40 per km, 25.00 per hour).")
    HEADERS = ["Van", "Parcels", "Weight (kg)", "Cost per km", "Cost per hour", "Shift start", "Shift end",
               "Break (min)", "Driver", "Driver's phone"]

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        self.add_table("van", self.add_van, self.remove_selected)
        self._removed: list[int] = []
        self.finish_layout()
        self.load()

    def load(self) -> None:
        self.table.setRowCount(0)
        self._removed = []
        for van in self.setup.vans():
            self._show(van)

    def _show(self, van: VanDetails) -> int:
        return self.table.add_row([van.name, van.capacity_parcels, f"{van.capacity_weight_kg:g}",
                                   f"{van.cost_per_km_minor / 100:.2f}", f"{van.cost_per_hour_minor / 100:.2f}",
                                   van.shift_start, van.shift_end, van.break_minutes, van.driver_name, van.driver_phone],
                                  (van.id, van.driver_id))

    def add_van(self) -> int:
        """A new row with sensible values, its name cell ready to type in."""
        row = self._show(VanDetails(f"Van {self.table.rowCount() + 1}"))
        self.table.setCurrentCell(row, 0)
        return row

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        ids = self.table.row_id(row)
        if ids and ids[0] is not None:
            self._removed.append(ids[0])
        self.table.removeRow(row)

    def van_at(self, row: int) -> VanDetails:
        t = lambda column: self.table.text(row, column)  # noqa: E731
        name = t(0) or f"row {row + 1}"
        van_id, driver_id = self.table.row_id(row) or (None, None)
        return VanDetails(t(0), _number(t(1), f"{name}, parcels", int), _number(t(2), f"{name}, weight"),
                          round(_number(t(3), f"{name}, cost per km") * 100),
                          round(_number(t(4), f"{name}, cost per hour") * 100), t(5) or "08:00", t(6) or "18:00",
                          _number(t(7), f"{name}, break", int), "", t(8), t(9), van_id, driver_id)

    def save(self) -> None:
        vans = [self.van_at(row) for row in range(self.table.rowCount())]  # every row read before anything is written
        for van_id in self._removed:
            self.setup.remove_van(van_id)
        for van in vans:
            self.setup.save_van(van)
        self.load()


class ConnectPage(SetupPage):
    key, title_text = "connect", "Carriers and your online shop"
    subtitle_text = "Optional now, and always in this window later."

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        self.opened: list[QWidget] = []
        for text, explanation, slot in (
                ("Carrier accounts…", "Parcel carriers and on-demand couriers: add your keys and press Test connection. "
                                      "Keys go to this computer's keychain, never into the store file.", self.open_carriers),
                ("Shops…", "Connect Shopify or WooCommerce: new orders then come in by themselves.", self.open_shops)):
            label = QLabel(explanation)
            label.setWordWrap(True)
            button = QPushButton(text)
            button.clicked.connect(slot)
            row = QHBoxLayout()
            row.addWidget(button)
            row.addWidget(label, 1)
            self.layout_.addLayout(row)
        self.finish_layout()

    def open_carriers(self) -> QWidget:
        from ..settings import CarrierSettingsDialog

        return self._open(CarrierSettingsDialog(self, self.core.accounts))

    def open_shops(self) -> QWidget:
        from ..settings.shops import ShopsDialog

        return self._open(ShopsDialog(self.core.shops, self))

    def _open(self, dialog: QWidget) -> QWidget:
        self.opened.append(dialog)
        dialog.open()
        return dialog


class SendersPage(SetupPage):
    key, title_text = "senders", "Email and SMS"
    subtitle_text = "Customers hear about their delivery from your own mail server and SMS account."
    tested = Signal(bool, str)

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        form = QFormLayout()
        self.smtp_host, self.smtp_from, self.smtp_username = QLineEdit(), QLineEdit(), QLineEdit()
        self.smtp_port = QSpinBox()
        self.smtp_port.setRange(1, 65535)
        self.smtp_security = QComboBox()
        for text, value in (("STARTTLS (port 587)", "starttls"), ("SSL (port 465)", "ssl"), ("None", "none")):
            self.smtp_security.addItem(text, value)
        self.smtp_password = QLineEdit()
        self.smtp_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.smtp_ca_file = QLineEdit()
        self.smtp_ca_file.setPlaceholderText("only for a server with its own certificate authority")
        self.twilio_sid, self.twilio_from, self.twilio_token = QLineEdit(), QLineEdit(), QLineEdit()
        self.twilio_token.setEchoMode(QLineEdit.EchoMode.Password)
        for label, edit in (("Mail server (SMTP)", self.smtp_host), ("Port", self.smtp_port),
                            ("Security", self.smtp_security), ("Send as (From)", self.smtp_from),
                            ("User name", self.smtp_username), ("Password", self.smtp_password),
                            ("Certificate authority file", self.smtp_ca_file),
                            ("Twilio account SID", self.twilio_sid), ("SMS from (number)", self.twilio_from),
                            ("Twilio auth token", self.twilio_token)):
            form.addRow(label, edit)
        self.layout_.addLayout(form)
        test = QHBoxLayout()
        self.test_to = QLineEdit()
        self.test_to.setPlaceholderText("your own email address")
        self.test_button = QPushButton("Send a test message")
        self.test_button.clicked.connect(self.send_test)
        test.addWidget(self.test_to, 1)
        test.addWidget(self.test_button)
        self.layout_.addLayout(test)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.layout_.addWidget(self.test_result)
        self.finish_layout()
        self.load()

    def load(self) -> None:
        senders = self.setup.senders()
        self.smtp_host.setText(senders.smtp_host)
        self.smtp_port.setValue(senders.smtp_port)
        self.smtp_security.setCurrentIndex(max(0, self.smtp_security.findData(senders.smtp_security)))
        self.smtp_from.setText(senders.smtp_from)
        self.smtp_username.setText(senders.smtp_username)
        self.smtp_ca_file.setText(senders.smtp_ca_file)
        self.twilio_sid.setText(senders.twilio_account_sid)
        self.twilio_from.setText(senders.twilio_from)
        self.smtp_password.setPlaceholderText("saved; type to replace" if senders.smtp_password_saved else "")
        self.twilio_token.setPlaceholderText("saved; type to replace" if senders.twilio_token_saved else "")

    def save(self) -> None:
        senders = Senders(self.smtp_host.text().strip(), self.smtp_port.value(), self.smtp_from.text().strip(),
                          self.smtp_username.text().strip(), self.smtp_security.currentData(),
                          self.smtp_ca_file.text().strip(), self.twilio_sid.text().strip(), self.twilio_from.text().strip())
        self.setup.save_senders(senders, smtp_password=self.smtp_password.text(), twilio_token=self.twilio_token.text())
        self.smtp_password.clear()
        self.twilio_token.clear()
        self.load()

    def send_test(self) -> None:
        """Save what is typed, then send one mail from a worker; the result is said under the button."""
        if not self.commit():
            return
        to = self.test_to.text().strip()
        if "@" not in to:
            self.test_result.setText("Type the address the test should go to.")
            return
        self.test_button.setEnabled(False)
        self.test_result.setText(f"Sending a test message to {to}…")

        def done(_message_id) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(f"Sent to {to}: check that inbox.")
            self.tested.emit(True, to)

        def failed(exc: BaseException) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(f"{getattr(exc, 'message', exc)} {getattr(exc, 'advice', '')}".strip())
            self.tested.emit(False, str(exc))

        run_in_thread(lambda: self.setup.send_test_email(to), done, failed)


class ZonesPage(SetupPage):
    key, title_text = "zones", "Where you deliver yourself"
    subtitle_text = ("Each zone is a distance around the shop, or a list of postcodes (a '*' ends a prefix: 972*), "
                     "with what the customer pays on top. Orders outside every zone go to a carrier.")
    HEADERS = ["Zone", "Radius (km)", "Postcodes", "Surcharge"]
    previewed = Signal()  # the map shows the zones as they were typed

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        self.add_table("zone", self.add_zone, lambda: self.table.removeRow(self.table.currentRow()))
        self.place = PlaceMap(core, draggable=False)  # the zones as shapes, redrawn as the lines are edited
        self.place.setMinimumHeight(160)
        self.layout_.addWidget(self.place, 1)
        self.finish_layout()
        self._preview_task = None
        self._preview_timer = QTimer(self, singleShot=True, interval=300)
        self._preview_timer.timeout.connect(self.preview)
        self.load()
        self.table.itemChanged.connect(self._preview_timer.start)
        self.table.model().rowsRemoved.connect(self._preview_timer.start)
        self.table.model().rowsInserted.connect(self._preview_timer.start)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name): the shop may have moved on an earlier page
        super().showEvent(event)
        self._preview_timer.start()

    def preview(self) -> None:
        """Draw the zones as typed now: each radius a circle around the shop, each postcode a dot at its centre
        (looked up in a worker: the bundled postcode file takes seconds to read the first time)."""
        zones = []
        for row in range(self.table.rowCount()):
            try:
                zones.append(self.zone_at(row))
            except ValueError:  # a number still being typed: that zone shows once it is one
                continue
        shop = self.setup.shop()
        centre = (shop.lat, shop.lon) if shop.lat is not None else None
        codes = [code for zone in zones for code in zone.postcodes]
        if self._preview_task is not None:
            self._preview_task.cancel()  # an older lookup must not draw over this one

        def show(centres) -> None:
            if not shiboken6.isValid(self.place):  # the window closed while the worker looked
                return
            self._preview_task = None
            self.place.set_pin(*(centre or (None, None)))
            self.place.show_zones(centre, zone_shapes(zones, centres), lambda _count: self.previewed.emit())
            self.place.fit_zones()

        self._preview_task = run_in_thread(lambda: self.setup.postcode_centres(codes), show,
                                           lambda exc: self.message.setText(f"The zones can't be drawn: {exc}"))

    def load(self) -> None:
        self.table.setRowCount(0)
        for zone in self.setup.zones():
            self.table.add_row([zone.name, "" if zone.radius_km is None else f"{zone.radius_km:g}",
                                ", ".join(zone.postcodes), f"{zone.surcharge_minor / 100:.2f}"])

    def add_zone(self) -> int:
        row = self.table.add_row([f"Zone {self.table.rowCount() + 1}", "8", "", "0.00"])
        self.table.setCurrentCell(row, 0)
        return row

    def zone_at(self, row: int) -> Zone:
        t = lambda column: self.table.text(row, column)  # noqa: E731
        name = t(0) or f"Zone {row + 1}"
        radius = _number(t(1), f"{name}, radius") if t(1) else None
        postcodes = tuple(code.strip() for code in t(2).replace(";", ",").split(",") if code.strip())
        return Zone(name, radius, postcodes, round(_number(t(3), f"{name}, surcharge") * 100))

    def save(self) -> None:
        self.setup.save_zones([self.zone_at(row) for row in range(self.table.rowCount())])


PAGES = (ShopPage, HoursPage, DepotPage, VansPage, ConnectPage, SendersPage, ZonesPage)
