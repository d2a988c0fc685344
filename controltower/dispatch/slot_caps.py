"""Caps per delivery slot: the most own-van stops the shop takes in a slot, as the capacity plan suggested.

Kept as one JSON settings row ({slot start, UTC ISO: stops}); a slot without a cap is limited by the vans alone.
"""
from __future__ import annotations

import json
import sqlite3

from ..store import settings as settings_store

CAPS_KEY = "dispatch.slot_caps"


def replace_caps(conn: sqlite3.Connection, caps: dict[str, int]) -> None:
    """The suggested caps, replacing the last ones (inside the caller's transaction)."""
    settings_store.put(conn, {CAPS_KEY: json.dumps({start: int(cap) for start, cap in sorted(caps.items())})})


def load_caps(conn: sqlite3.Connection) -> dict[str, int]:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (CAPS_KEY,)).fetchone()
    if row is None or not row[0]:
        return {}
    return {str(start): int(cap) for start, cap in json.loads(row[0]).items()}
