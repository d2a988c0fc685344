"""Settings > Carrier accounts: paste keys (kept in the keychain), switch carriers on, test the connection."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QPushButton, QVBoxLayout, QWidget,
)

from ...services.accounts import AccountsService, ConnectionResult, SecretStoreError
from ..tasks import run_in_thread

_OK_STYLE = "color: #1b7f3b; font-weight: bold;"
_FAIL_STYLE = "color: #b3261e; font-weight: bold;"
_ACCESS_SETTING = "access_granted"  # DoorDash Drive: only once DoorDash approved the business


class CarrierSettingsDialog(QDialog):
    """One page per carrier account; nothing here waits on the network (tests run in a worker thread)."""

    saved = Signal(str)  # carrier code
    tested = Signal(str, bool)  # carrier code, connection ok

    def __init__(self, parent: QWidget | None, accounts: AccountsService) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.setWindowTitle("Carrier accounts")
        self.resize(760, 460)
        self._inputs: dict[str, QLineEdit] = {}
        self._task = None

        self.carriers = QListWidget()
        self.carriers.setMaximumWidth(220)
        for code in accounts.offered_codes():
            item = QListWidgetItem(accounts.title_of(code))
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.carriers.addItem(item)

        self.heading = QLabel()
        self.heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.enabled = QCheckBox("Use this carrier")
        self.access = QCheckBox("DoorDash has granted this business Drive access")
        self.form = QFormLayout()
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText("Leave empty for the carrier's own address")
        self.base_url.setAccessibleName("Base URL")
        self.save_button = QPushButton("Save")
        self.test_button = QPushButton("Test connection")
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        page = QVBoxLayout()
        page.addWidget(self.heading)
        page.addWidget(self.enabled)
        page.addWidget(self.access)
        page.addLayout(self.form)
        self.form.addRow("Base URL (advanced)", self.base_url)  # the last row; credential rows go above it
        actions = QHBoxLayout()
        actions.addWidget(self.save_button)
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        page.addLayout(actions)
        page.addWidget(self.result)
        page.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.carriers)
        body.addLayout(page, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(close)

        self.carriers.currentItemChanged.connect(lambda *_: self._show_account())
        self.save_button.clicked.connect(self.save)
        self.test_button.clicked.connect(self.test_connection)
        self.carriers.setCurrentRow(0)

    def done(self, result: int) -> None:
        """Closing drops a test still under way: its answer must not reach widgets that are going away."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        super().done(result)

    # -- which account ---------------------------------------------------
    @property
    def code(self) -> str:
        item = self.carriers.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else ""

    def select(self, code: str) -> None:
        for row in range(self.carriers.count()):
            if self.carriers.item(row).data(Qt.ItemDataRole.UserRole) == code:
                self.carriers.setCurrentRow(row)
                return
        raise KeyError(code)

    def field(self, name: str) -> QLineEdit:
        """The input for one credential of the shown account (tests and keyboard users find it by name)."""
        return self._inputs[name]

    def _show_account(self) -> None:
        if self._task is not None:  # a test for the previous account: its answer no longer belongs here
            self._task.cancel()
            self._task = None
            self.test_button.setEnabled(True)
        account = self.accounts.load(self.code)
        self.heading.setText(account.title)
        self.enabled.setChecked(account.enabled or not account.exists)
        self.access.setVisible(self.code == "doordash")
        self.access.setChecked(bool(account.settings.get(_ACCESS_SETTING)))
        self.base_url.setText(account.settings.get("base_url", ""))
        while self.form.rowCount() > 1:  # keep the base URL row
            self.form.removeRow(0)
        self._inputs = {}
        if not account.fields:
            self.form.insertRow(0, QLabel("Built in: nothing to paste."))
        for row, credential in enumerate(account.fields):
            line = QLineEdit()
            line.setAccessibleName(credential.label)
            if credential.secret:
                line.setEchoMode(QLineEdit.EchoMode.Password)
            saved = account.saved.get(credential.name)
            line.setPlaceholderText(f"saved ({saved}); paste to replace" if saved else credential.placeholder)
            self._inputs[credential.name] = line
            self.form.insertRow(row, credential.label + ("" if credential.required else " (optional)"), line)
        if account.keychain_problem:
            self._say(f"The system keychain is not available, so keys cannot be saved: {account.keychain_problem}", ok=False)
        else:
            self._say("")

    def _typed(self) -> dict[str, str]:
        return {name: line.text() for name, line in self._inputs.items()}

    def _settings(self) -> dict:
        account = self.accounts.load(self.code)
        settings = dict(account.settings)
        if self.base_url.text().strip():
            settings["base_url"] = self.base_url.text().strip()
        else:
            settings.pop("base_url", None)
        if self.code == "doordash":
            settings[_ACCESS_SETTING] = self.access.isChecked()
        return settings

    def _say(self, text: str, ok: bool | None = None) -> None:
        self.result.setText(text)
        self.result.setStyleSheet("" if ok is None else _OK_STYLE if ok else _FAIL_STYLE)

    # -- actions ----------------------------------------------------------
    def save(self) -> None:
        code = self.code
        try:
            self.accounts.save(code, self._typed(), enabled=self.enabled.isChecked(), settings=self._settings())
        except SecretStoreError as exc:
            self._say(f"Not saved: {exc}. Keys are only ever kept in the system keychain.", ok=False)
            return
        self._show_account()
        self._say("Saved. Keys are in the system keychain.", ok=True)
        self.saved.emit(code)

    def test_connection(self) -> None:
        """Starts the test and returns at once; the answer arrives on the UI thread when the carrier replies."""
        code = self.code
        config = self.accounts.adapter_config(code, self._typed(), self._settings())
        self.test_button.setEnabled(False)
        self._say(f"Testing {self.accounts.title_of(code)}…")

        def finished(result: ConnectionResult) -> None:
            self._task = None
            self.test_button.setEnabled(True)
            mark = "✓" if result.ok else "✗"
            self._say(f"{mark} {result.message}", ok=result.ok)
            self.tested.emit(code, result.ok)

        def failed(exc: BaseException) -> None:
            self._task = None
            self.test_button.setEnabled(True)
            self._say(f"✗ The test itself failed: {exc}", ok=False)
            self.tested.emit(code, False)

        self._task = run_in_thread(lambda: self.accounts.check_connection(config), finished, failed)
