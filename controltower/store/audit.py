"""The audit log: every user action with what, when, before and after."""
from __future__ import annotations

import json
import sqlite3

from ..domain.timeutil import to_iso, utcnow
from ..kernel.redact import redact_value


def record(conn: sqlite3.Connection, action: str, entity: str, entity_id: object = "", *,
           before: dict | None = None, after: dict | None = None, actor: str = "user") -> int:
    """Append one entry; call inside the transaction that makes the change so both land together.

    Before and after are stored with any credential masked (a carrier error that echoed a key).
    """
    before, after = redact_value(before), redact_value(after)
    cursor = conn.execute(
        "INSERT INTO audit_log(at, actor, action, entity, entity_id, before_json, after_json) VALUES (?,?,?,?,?,?,?)",
        (to_iso(utcnow()), actor, action, entity, str(entity_id),
         None if before is None else json.dumps(before, default=str, sort_keys=True),
         None if after is None else json.dumps(after, default=str, sort_keys=True)),
    )
    return cursor.lastrowid


def entries(conn: sqlite3.Connection, entity: str | None = None, entity_id: object | None = None, limit: int = 200) -> list[dict]:
    sql, params = "SELECT * FROM audit_log", []
    if entity is not None:
        sql += " WHERE entity = ?"
        params.append(entity)
        if entity_id is not None:
            sql += " AND entity_id = ?"
            params.append(str(entity_id))
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    rows = []
    for row in conn.execute(sql, params):
        item = dict(row)
        item["before"] = json.loads(item.pop("before_json")) if item["before_json"] else None
        item["after"] = json.loads(item.pop("after_json")) if item["after_json"] else None
        rows.append(item)
    return rows
