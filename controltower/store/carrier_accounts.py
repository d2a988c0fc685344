"""The carrier_accounts table's one owner: each account's name, kind, on/off and non-secret settings; keys in the keychain.

    with db.transaction() as conn:
        carrier_accounts.save(conn, StoredAccount("easypost", "EasyPost", "parcel", True, {"base_url": ...}),
                              keys_changed=["api_key"])
    carrier_accounts.get(db.reader(), "easypost").enabled

Keys (API keys, client secrets) never reach SQLite: `save_keys` and `read_keys` keep them in the OS keychain.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Iterable

from . import audit, secrets

_UPSERT = ("INSERT INTO carrier_accounts(code, name, kind, enabled, settings_json) VALUES (?,?,?,?,?) "
           "ON CONFLICT(code) DO UPDATE SET name = excluded.name, kind = excluded.kind, enabled = excluded.enabled, "
           "settings_json = excluded.settings_json")


@dataclass(frozen=True)
class StoredAccount:
    """One row: `kind` is a CarrierKind value ("courier", "parcel", "own_fleet", "pickup")."""

    code: str
    name: str
    kind: str
    enabled: bool = True
    settings: dict = field(default_factory=dict)  # never secrets

    def _params(self) -> tuple:
        for key in self.settings:
            secrets.refuse_secret_like(key)  # a secret must never reach settings_json
        return (self.code, self.name, self.kind, int(self.enabled), json.dumps(self.settings, sort_keys=True))


def _account(row: sqlite3.Row | tuple) -> StoredAccount:
    code, name, kind, enabled, settings_json = tuple(row)
    return StoredAccount(code, name, kind, bool(enabled), json.loads(settings_json or "{}"))


_COLUMNS = "SELECT code, name, kind, enabled, settings_json FROM carrier_accounts"


def get(conn: sqlite3.Connection, code: str) -> StoredAccount | None:
    row = conn.execute(_COLUMNS + " WHERE code = ?", (code,)).fetchone()
    return None if row is None else _account(row)


def all_accounts(conn: sqlite3.Connection, *, enabled_only: bool = False) -> list[StoredAccount]:
    """Every stored account by code (only the switched-on ones with `enabled_only`)."""
    sql = _COLUMNS + (" WHERE enabled = ?" if enabled_only else "") + " ORDER BY code"
    return [_account(row) for row in conn.execute(sql, (1,) if enabled_only else ())]


def names(conn: sqlite3.Connection) -> dict[str, str]:
    """{code: the account's own name}, e.g. {"sandbox:zippy": "Zippy Express (sandbox)"}."""
    return {code: name for code, name in conn.execute("SELECT code, name FROM carrier_accounts")}


def save(conn: sqlite3.Connection, account: StoredAccount, *, keys_changed: Iterable[str] = ()) -> None:
    """The user saved an account: the row and an audit entry (which keys changed, never their values)."""
    before = get(conn, account.code)
    conn.execute(_UPSERT, account._params())
    audit.record(conn, "carrier_account.saved", "carrier_account", account.code,
                 before=None if before is None else {"enabled": before.enabled, "settings": before.settings},
                 after={"enabled": account.enabled, "settings": account.settings, "keys_changed": sorted(keys_changed)})


def add(conn: sqlite3.Connection, accounts: Iterable[StoredAccount]) -> None:
    """Rows set up without a user's edit (the demo's accounts, an imported settings file): no audit entry."""
    conn.executemany(_UPSERT, [account._params() for account in accounts])


def set_enabled(conn: sqlite3.Connection, code: str, enabled: bool) -> None:
    before = get(conn, code)
    if before is None:
        raise KeyError(f"no carrier account {code!r}")
    conn.execute("UPDATE carrier_accounts SET enabled = ? WHERE code = ?", (int(enabled), code))
    audit.record(conn, "carrier_account.enabled" if enabled else "carrier_account.disabled", "carrier_account", code,
                 before={"enabled": before.enabled}, after={"enabled": enabled})


# ---------------------------------------------------------------- keys: the OS keychain, never the file


def read_keys(code: str, key_names: Iterable[str]) -> dict[str, str]:
    """{name: value} of the keys saved for `code` (missing ones left out); SecretStoreError when the keychain is shut."""
    found = {}
    for name in key_names:
        value = secrets.get_secret(code, name)
        if value:
            found[name] = value
    return found


def save_keys(code: str, typed: dict[str, str]) -> list[str]:
    """Save each non-empty typed key (empty = keep the saved one); returns the names saved."""
    saved = []
    for name, value in typed.items():
        value = (value or "").strip()
        if value:
            secrets.set_secret(code, name, value)
            saved.append(name)
    return saved
