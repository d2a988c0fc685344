"""How tests/data/store_v1.db was made (kept for the record; the file itself is the fixture, never rebuilt by tests).

Run at schema version 1 with: python tests/data/make_store_v1.py
"""
from datetime import datetime, timezone
from unittest import mock

from controltower.store import migrations

only_v1 = [m for m in migrations.available() if m.version == 1]
with mock.patch.object(migrations, "available", return_value=only_v1):
    from controltower.demo import generate

    generate("tests/data/store_v1.db", seed=1, now=datetime(2026, 11, 20, 20, 0, tzinfo=timezone.utc), orders_today=40, history_days=2)
