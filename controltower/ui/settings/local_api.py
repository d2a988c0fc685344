"""Settings > Local API: the server's switch and the tokens other tools use (created and shown once, revoked)."""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QMessageBox,
                               QPushButton, QSpinBox)

from ...kernel.errors import UserFacingError
from ...services.integrations import ApiSettings
from ..setup.pages import SetupPage


def said(exc: BaseException) -> str:
    return f"{getattr(exc, 'message', exc)} {getattr(exc, 'advice', '')}".strip()


class LocalApiPage(SetupPage):
    key, title_text = "api", "Local API"
    subtitle_text = ("Other tools on this computer read and change orders through the local API, each with its own "
                     "token. Tokens are kept in this computer's keychain, never in the store file.")

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        self.integrations = core.integrations
        form = QFormLayout()
        self.enabled = QCheckBox("Serve the local API (starts or stops when you save)")
        self.lan = QCheckBox("Also to other computers on the shop's network")
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        form.addRow(self.enabled)
        form.addRow("Port", self.port)
        form.addRow(self.lan)
        self.layout_.addLayout(form)

        self.layout_.addWidget(QLabel("Tokens"))
        self.tokens = QListWidget()
        self.layout_.addWidget(self.tokens, 1)
        row = QHBoxLayout()
        self.token_name = QLineEdit()
        self.token_name.setPlaceholderText("who will use it, e.g. Zapier")
        self.create_button = QPushButton("Create token")
        self.revoke_button = QPushButton("Revoke the selected token")
        self.create_button.clicked.connect(self.create_token)
        self.revoke_button.clicked.connect(self.ask_revoke)
        self.token_name.returnPressed.connect(self.create_token)
        for widget in (self.token_name, self.create_button, self.revoke_button):
            row.addWidget(widget)
        self.layout_.addLayout(row)

        shown = QHBoxLayout()
        self.new_token = QLineEdit()
        self.new_token.setReadOnly(True)
        self.new_token.setVisible(False)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setVisible(False)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.new_token.text()))
        shown.addWidget(self.new_token, 1)
        shown.addWidget(self.copy_button)
        self.layout_.addLayout(shown)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.layout_.addWidget(self.result)
        self.confirm: QMessageBox | None = None
        self.finish_layout()
        self.load()

    def load(self) -> None:
        settings = self.integrations.api_settings()
        self.enabled.setChecked(settings.enabled)
        self.lan.setChecked(settings.lan)
        self.port.setValue(settings.port)
        self._show_names()

    def _show_names(self) -> None:
        self.tokens.clear()
        self.tokens.addItems(self.integrations.tokens.names())
        self.revoke_button.setEnabled(self.tokens.count() > 0)

    def save(self) -> None:
        self.integrations.save_api_settings(ApiSettings(self.enabled.isChecked(), self.port.value(), self.lan.isChecked()))

    def create_token(self) -> None:
        name = self.token_name.text().strip()
        try:
            token = self.integrations.tokens.create(name)
        except (UserFacingError, OSError, RuntimeError) as exc:  # a bad name, or no keychain
            self.result.setText(said(exc))
            return
        self.token_name.clear()
        self.new_token.setText(token)
        self.new_token.setVisible(True)
        self.copy_button.setVisible(True)
        self.result.setText(f"The token for {name}: copy it now. It is shown only this once; "
                            "if it is lost, revoke it and create another.")
        self._show_names()

    def ask_revoke(self) -> None:
        item = self.tokens.currentItem()
        if item is None:
            self.result.setText("Select the token to revoke.")
            return
        name = item.text()
        self.confirm = QMessageBox(QMessageBox.Icon.Question, "Revoke token",
                                   f"Revoke the token for {name}? Tools using it are refused from then on.",
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        self.confirm.buttonClicked.connect(
            lambda button: self.revoke(name) if self.confirm.standardButton(button) == QMessageBox.StandardButton.Yes else None)
        self.confirm.open()

    def revoke(self, name: str) -> None:
        self.integrations.tokens.revoke(name)
        if self.new_token.isVisible():
            self.new_token.clear()
            self.new_token.setVisible(False)
            self.copy_button.setVisible(False)
        self.result.setText(f"The token for {name} is revoked.")
        self._show_names()
