"""Settings rows: the only module that writes `settings`; a key that names a secret is refused (the keychain holds those)."""
from __future__ import annotations

import sqlite3
from typing import Iterable, Mapping


def put(conn: sqlite3.Connection, values: Mapping[str, object] | Iterable[tuple[str, object]]) -> None:
    """Set each key to its value (as text) inside the caller's transaction."""
    from .secrets import refuse_secret_like  # keyring loads only when a setting is written

    rows = [(str(key), str(value)) for key, value in (values.items() if isinstance(values, Mapping) else values)]
    for key, _value in rows:
        refuse_secret_like(key)
    conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     rows)
