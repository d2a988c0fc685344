"""API keys live only in the OS keychain: never in the SQLite file, never in logs."""
import logging

import pytest

from controltower.logs import ScrubbingFormatter, scrub
from controltower.store import secrets

KEY = "EZAK_live_4f8a9c2e1b7d6033SECRET"


def test_key_goes_to_the_keychain_not_the_file(store, memory_keyring):
    secrets.set_secret("easypost", "api_key", KEY)
    store.set_setting("carrier.easypost.mode", "production")
    store.conn.execute("PRAGMA wal_checkpoint(FULL)")
    assert secrets.get_secret("easypost", "api_key") == KEY
    assert ("ControlTower", "easypost:api_key") in memory_keyring.passwords
    for suffix in ("", "-wal"):
        path = store.path.parent / (store.path.name + suffix)
        if path.exists():
            assert KEY.encode() not in path.read_bytes()


def test_settings_refuse_secret_looking_keys(store):
    with pytest.raises(ValueError, match="keychain|secret"):
        store.set_setting("easypost.api_key", KEY)


def test_logs_mask_keys_emails_and_phones():
    text = scrub(f'POST /v2/shipments api_key={KEY} Authorization: Bearer abc.def.ghi for ann@example.com +1 503-555-0123')
    assert KEY not in text and "abc.def.ghi" not in text and "ann@example.com" not in text and "555-0123" not in text
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", (KEY,), None)
    assert KEY not in ScrubbingFormatter("%(message)s").format(record)


def test_log_lines_keep_their_timestamps_and_dates():
    formatter = ScrubbingFormatter("%(asctime)s %(message)s")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plan for 2026-11-25 saved at 17:35:36, call (503) 555-0100", (), None)
    line = formatter.format(record)
    assert "2026-11-25" in line and "17:35:36" in line and "555-0100" not in line
    assert "<phone>" not in line.split(" plan")[0]
