"""Settings > Shops: connect the shop's Shopify or WooCommerce store; its orders are then pulled in the background."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from ...kernel.errors import UserFacingError
from ...services.shops import KEYS, PLATFORMS, ShopConnection, ShopsService

TITLES = {"shopify": "Shopify", "woocommerce": "WooCommerce"}


class ShopsDialog(QDialog):
    """The connected shops on the left, the chosen one's details on the right; keys go to the system keychain."""

    saved = Signal(str)  # the shop's name

    def __init__(self, service: ShopsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle("Shops")
        self.resize(720, 360)
        self.shop_list = QListWidget()
        self.shop_list.currentItemChanged.connect(lambda current, _previous: self._show(current))
        self.platform = QComboBox()
        for platform in PLATFORMS:
            self.platform.addItem(TITLES[platform], platform)
        self.platform.currentIndexChanged.connect(lambda _i: self._show_key_fields())
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. rosecity")
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://rosecity.myshopify.com")
        self.every = QDoubleSpinBox(minimum=1, maximum=24 * 60, decimals=0, value=10, suffix=" min")
        self.key_fields: dict[str, QLineEdit] = {}
        self.form = QFormLayout()
        self.form.addRow("Platform", self.platform)
        self.form.addRow("Name", self.name)
        self.form.addRow("Address", self.url)
        self.form.addRow("Pull new orders every", self.every)
        for platform in PLATFORMS:
            for key, label in KEYS[platform]:
                field = QLineEdit()
                field.setEchoMode(QLineEdit.EchoMode.Password)
                self.key_fields[key] = field
                self.form.addRow(label, field)
        self.message = QLabel("Keys are kept in this computer's keychain, never in the store file.")
        self.message.setWordWrap(True)
        self.save_button = QPushButton("Save and connect")
        self.save_button.clicked.connect(self.save)
        self.new_button = QPushButton("New shop")
        self.new_button.clicked.connect(self.new_shop)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        right = QVBoxLayout()
        right.addLayout(self.form)
        right.addWidget(self.message)
        row = QHBoxLayout()
        for button in (self.new_button, self.save_button, self.remove_button):
            row.addWidget(button)
        right.addLayout(row)
        body = QHBoxLayout()
        body.addWidget(self.shop_list, 1)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(buttons)
        self.reload()

    def reload(self, select: str | None = None) -> None:
        self.shop_list.clear()
        for view in self.service.shops():
            connection = view.connection
            item = QListWidgetItem(f"{connection.name} ({TITLES[connection.platform]})")
            item.setData(Qt.ItemDataRole.UserRole, view)
            self.shop_list.addItem(item)
            if connection.name == select:
                self.shop_list.setCurrentItem(item)
        if self.shop_list.currentItem() is None:
            self.new_shop()

    def new_shop(self) -> None:
        self.shop_list.setCurrentItem(None)
        self.name.clear()
        self.name.setReadOnly(False)
        self.url.clear()
        self.every.setValue(10)
        for field in self.key_fields.values():
            field.clear()
            field.setPlaceholderText("")
        self._show_key_fields()
        self.remove_button.setEnabled(False)

    def _show(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        view = item.data(Qt.ItemDataRole.UserRole)
        connection = view.connection
        self.platform.setCurrentIndex(self.platform.findData(connection.platform))
        self.name.setText(connection.name)
        self.name.setReadOnly(True)  # the name is the keychain entry's; a new name is a new shop
        self.url.setText(connection.url)
        self.every.setValue(connection.every_minutes)
        for key, field in self.key_fields.items():
            field.clear()
            field.setPlaceholderText(f"saved ({view.saved_keys[key]}); type to replace" if key in view.saved_keys else "")
        self._show_key_fields()
        self.remove_button.setEnabled(True)

    def _show_key_fields(self) -> None:
        wanted = {key for key, _label in KEYS[self.platform.currentData()]}
        for key, field in self.key_fields.items():
            self.form.setRowVisible(field, key in wanted)

    def connection(self) -> ShopConnection:
        return ShopConnection(self.name.text().strip(), self.platform.currentData(), self.url.text().strip(),
                              float(self.every.value()))

    def save(self) -> None:
        connection = self.connection()
        keys = {key: field.text() for key, field in self.key_fields.items()}
        try:
            self.service.save(connection, keys)
        except UserFacingError as exc:
            self.message.setText(f"{exc.message} {exc.advice}".strip())
            return
        self.message.setText(f"Connected {connection.name}: new orders are pulled every {connection.every_minutes:.0f} min "
                             "(see Background in the status bar).")
        self.reload(select=connection.name)
        self.saved.emit(connection.name)

    def remove(self) -> None:
        item = self.shop_list.currentItem()
        if item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole).connection.name
        self.service.remove(name)
        self.message.setText(f"Removed {name} and its keys; its orders stay in the store.")
        self.reload()
