"""The carrier_accounts table through its owner: rows for settings, the keychain for keys, an audit entry per edit."""
from __future__ import annotations

import pytest

from controltower.store import audit, carrier_accounts
from controltower.store.carrier_accounts import StoredAccount


def test_save_keeps_settings_and_audits_which_keys_changed(store):
    with store.transaction() as conn:
        carrier_accounts.save(conn, StoredAccount("easypost", "EasyPost", "parcel", True, {"base_url": "http://x"}),
                              keys_changed=["api_key"])
    assert carrier_accounts.get(store.reader(), "easypost") == StoredAccount("easypost", "EasyPost", "parcel", True,
                                                                           {"base_url": "http://x"})
    entry = audit.entries(store.conn, "carrier_account", "easypost")[0]
    assert entry["action"] == "carrier_account.saved" and entry["after"]["keys_changed"] == ["api_key"]


def test_add_sets_up_many_and_lists_the_enabled_ones(store):
    with store.transaction() as conn:
        carrier_accounts.add(conn, [StoredAccount("sandbox:zippy", "Zippy", "courier"),
                                    StoredAccount("uber_direct", "Uber Direct", "courier", enabled=False)])
        carrier_accounts.set_enabled(conn, "sandbox:zippy", False)
        carrier_accounts.set_enabled(conn, "uber_direct", True)
    assert [a.code for a in carrier_accounts.all_accounts(store.reader(), enabled_only=True)] == ["uber_direct"]
    assert carrier_accounts.names(store.reader()) == {"sandbox:zippy": "Zippy", "uber_direct": "Uber Direct"}


def test_a_secret_never_reaches_the_table(store, memory_keyring):
    with pytest.raises(ValueError, match="looks like a secret"), store.transaction() as conn:
        carrier_accounts.add(conn, [StoredAccount("shippo", "Shippo", "parcel", settings={"api_token": "shippo_live_1"})])
    assert carrier_accounts.get(store.reader(), "shippo") is None
    assert carrier_accounts.save_keys("shippo", {"api_token": " shippo_live_1 ", "other": ""}) == ["api_token"]
    assert carrier_accounts.read_keys("shippo", ["api_token", "other"]) == {"api_token": "shippo_live_1"}
