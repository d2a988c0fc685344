"""API keys and passwords: only in the OS keychain (keyring), never in the SQLite file or logs."""
from __future__ import annotations

import re

import keyring
from keyring.errors import PasswordDeleteError

SERVICE = "ControlTower"
_SECRET_WORDS = re.compile(r"(api[_-]?key|secret|password|token|passwd)", re.I)


class SecretStoreError(RuntimeError):
    """The OS keychain is unavailable; the key was not saved anywhere."""


def _name(account: str, field: str) -> str:
    return f"{account}:{field}"


def set_secret(account: str, field: str, value: str) -> None:
    try:
        keyring.set_password(SERVICE, _name(account, field), value)
    except Exception as exc:  # keyring raises many backend-specific types
        raise SecretStoreError(f"could not save the {field} for {account} in the system keychain: {exc}") from exc


def get_secret(account: str, field: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, _name(account, field))
    except Exception as exc:
        raise SecretStoreError(f"could not read the {field} for {account} from the system keychain: {exc}") from exc


def delete_secret(account: str, field: str) -> None:
    try:
        keyring.delete_password(SERVICE, _name(account, field))
    except PasswordDeleteError:
        pass


def refuse_secret_like(key: str) -> None:
    """Guard for the settings table: a key that names a secret belongs in the keychain."""
    if _SECRET_WORDS.search(key):
        raise ValueError(f"setting {key!r} looks like a secret; store it with secrets.set_secret instead")


def mask(value: str | None) -> str:
    """A secret as shown in logs and dialogs: never more than its last four characters."""
    if not value:
        return ""
    return "…" + value[-4:] if len(value) > 8 else "••••"
