"""Test setup: headless Qt, QtWebEngine without the sandbox, an in-memory keychain, temp stores."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

import keyring  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """A keychain that lives in memory, so tests never touch the real one."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True)
def computer_in_utc(monkeypatch):
    """The computer's own zone (the shop's when none is set) is UTC in every test, whatever the machine says, as
    the clock is one a test sets; a test that needs another patches shop_clock.computer_zone (or sets TZ in a child)."""
    from datetime import timezone

    from controltower.store import shop_clock

    monkeypatch.setattr(shop_clock, "computer_zone", lambda: timezone.utc)


@pytest.fixture(autouse=True)
def memory_keyring():
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def store(tmp_path):
    from controltower.store import Database

    database = Database(tmp_path / "store.db")
    yield database
    database.close()
