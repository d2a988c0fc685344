"""Settings > Carrier accounts, as a shop owner uses it: paste a key, save, test the connection."""
from __future__ import annotations

import json

import keyring
import pytest
from PySide6.QtCore import Qt

from controltower.services.accounts import AccountsService
from controltower.ui.settings import CarrierSettingsDialog

from .fakes.easypost import API_KEY, FakeEasyPost
from .fakes.server import Fault, running


@pytest.fixture
def fake():
    with running(FakeEasyPost) as server:
        yield server


@pytest.fixture
def dialog(qtbot, store):
    widget = CarrierSettingsDialog(None, AccountsService(store))
    qtbot.addWidget(widget)
    widget.show()
    return widget


def store_bytes(store) -> bytes:
    """Everything SQLite has on disk for the store: the main file and its write-ahead log."""
    store.conn.execute("PRAGMA wal_checkpoint(FULL)")
    files = [store.path, store.path.with_name(store.path.name + "-wal")]
    return b"".join(path.read_bytes() for path in files if path.exists())


def test_a_pasted_key_goes_to_the_keychain_and_never_into_the_store(qtbot, dialog, store, memory_keyring):
    dialog.select("easypost")
    assert dialog.field("api_key").echoMode() == dialog.field("api_key").EchoMode.Password
    dialog.field("api_key").setText(API_KEY)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert memory_keyring.passwords[("ControlTower", "easypost:api_key")] == API_KEY
    assert dialog.result.text() == "Saved. Keys are in the system keychain."
    assert dialog.field("api_key").text() == "" and "…3456" in dialog.field("api_key").placeholderText()
    row = store.conn.execute("SELECT enabled, settings_json FROM carrier_accounts WHERE code = 'easypost'").fetchone()
    assert row["enabled"] == 1 and API_KEY not in row["settings_json"]
    assert API_KEY.encode() not in store_bytes(store)
    audit = store.conn.execute("SELECT after_json FROM audit_log WHERE action = 'carrier_account.saved'").fetchone()
    assert json.loads(audit["after_json"])["keys_changed"] == ["api_key"] and API_KEY not in audit["after_json"]


def test_test_connection_answers_later_without_blocking(qtbot, dialog, fake):
    fake.inject(Fault("timeout", delay=0.3), "GET", "/shipments")  # slow but within the timeout
    dialog.select("easypost")
    dialog.field("api_key").setText(API_KEY)
    dialog.base_url.setText(fake.url)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    # The click returned before the carrier answered: the dialog says it is testing.
    assert dialog.result.text() == "Testing EasyPost…" and not dialog.test_button.isEnabled()
    with qtbot.waitSignal(dialog.tested, timeout=10_000) as signal:
        pass
    assert signal.args == ["easypost", True]
    assert dialog.result.text() == "✓ Connected to EasyPost (test key)." and dialog.test_button.isEnabled()


def test_a_wrong_key_says_what_the_carrier_said_and_what_to_do(qtbot, dialog, fake):
    dialog.select("easypost")
    dialog.field("api_key").setText("EZAK_not_a_real_key")
    dialog.base_url.setText(fake.url)
    with qtbot.waitSignal(dialog.tested, timeout=10_000) as signal:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["easypost", False]
    text = dialog.result.text()
    assert text.startswith("✗ ") and "This api key is no longer active." in text
    assert "Check the key in Settings > Carrier accounts." in text


def test_doordash_stays_off_until_access_is_granted(qtbot, dialog, store):
    dialog.select("doordash")
    assert dialog.access.isVisible() and not dialog.access.isChecked()
    with qtbot.waitSignal(dialog.tested, timeout=10_000):
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert "DoorDash Drive is switched off" in dialog.result.text()
    dialog.access.setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settings = json.loads(store.scalar("SELECT settings_json FROM carrier_accounts WHERE code = 'doordash'"))
    assert settings == {"access_granted": True}


def test_no_keychain_means_nothing_saved_and_a_plain_warning(qtbot, store):
    from keyring.backends.fail import Keyring as NoKeyring

    keyring.set_keyring(NoKeyring())
    widget = CarrierSettingsDialog(None, AccountsService(store))
    qtbot.addWidget(widget)
    widget.select("shippo")
    assert "keychain is not available" in widget.result.text()
    widget.field("api_token").setText("shippo_test_secret_value")
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)
    assert widget.result.text().startswith("Not saved:")
    assert store.scalar("SELECT COUNT(*) FROM carrier_accounts") == 0
    assert b"shippo_test_secret_value" not in store_bytes(store)


def test_built_in_carriers_need_no_keys(qtbot, dialog):
    dialog.select("own_fleet")
    assert dialog._inputs == {} and dialog.heading.text() == "Own fleet"
    with qtbot.waitSignal(dialog.tested, timeout=10_000) as signal:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["own_fleet", True] and "built in" in dialog.result.text()


def test_closing_during_a_test_drops_the_late_answer(qtbot, dialog, fake):
    fake.inject(Fault("timeout", delay=0.5), "GET", "/shipments")
    dialog.select("easypost")
    dialog.field("api_key").setText(API_KEY)
    dialog.base_url.setText(fake.url)
    answers = []
    dialog.tested.connect(lambda *args: answers.append(args))
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    dialog.reject()
    qtbot.wait(1200)  # the carrier answers after the dialog closed
    assert answers == [] and dialog.result.text() == "Testing EasyPost…"
