"""`controltower quote --db DB ORDER_ID --json` on a store with one enabled carrier account."""
from __future__ import annotations

import json

import pytest

from controltower.carriers import registry
from controltower.cli import main

from .conftest import FAR, QuotingCarrier, add_orders, make_order, window


class ClosingCarrier(QuotingCarrier):
    closed = 0

    async def aclose(self):
        type(self).closed += 1


@pytest.fixture
def quoting_account(store):
    ClosingCarrier.closed = 0
    registry.register("testparcel", ClosingCarrier)
    with store.transaction() as conn:
        conn.execute("INSERT INTO carrier_accounts(code, name, kind, enabled, settings_json) VALUES "
                     "('testparcel', 'Test Parcel', 'parcel', 1, '{\"prices\": {\"ground\": 1150}}'), "
                     "('switched_off', 'Off', 'parcel', 0, '{}')")
    yield
    registry.unregister("testparcel")


def test_quote_prints_one_entry_per_way_with_the_chosen_one(store, shop, quoting_account, capsys):
    # Promised by Friday: the parcel carrier (arrives in 3 h) and the van both keep it.
    order_id = add_orders(store, make_order("Q-7", FAR, window=window("2026-11-27T09:00", "2026-11-27T20:00")))["Q-7"]
    assert main(["quote", "--db", str(store.path), str(order_id), "--json"]) == 0
    ways = json.loads(capsys.readouterr().out)
    assert {(w["carrier"], w["service"]) for w in ways} == {("testparcel", "ground"), ("own_fleet", "van"), ("pickup", "in_store")}
    for way in ways:
        assert set(way) >= {"carrier", "service", "price", "currency", "promised_by", "estimated_delivery", "chosen", "reason"}
    chosen = [w for w in ways if w["chosen"]]
    assert len(chosen) == 1
    assert chosen[0]["reason"]
    parcel = next(w for w in ways if w["carrier"] == "testparcel")
    assert (parcel["price"], parcel["currency"]) == ("11.50", "USD")
    assert next(w for w in ways if w["carrier"] == "pickup")["reason"] == "customer collects"
    assert ClosingCarrier.closed == 1  # adapters made from the store are closed after use


def test_quote_by_order_number_as_a_table_and_unknown_order(store, shop, capsys):
    add_orders(store, make_order("Q-8"))
    assert main(["quote", "--db", str(store.path), "Q-8"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Order Q-8: ") and "Own van" in out
    assert main(["quote", "--db", str(store.path), "NOPE"]) == 2
    assert "No order 'NOPE'" in capsys.readouterr().err


def test_quote_says_which_carriers_it_did_not_ask_and_why(store, shop, quoting_account, capsys):
    """A table of only own van and pickup is never a silent one: each carrier left out is named with its reason."""
    with store.transaction() as conn:
        conn.execute("INSERT INTO carrier_accounts(code, name, kind, enabled, settings_json) VALUES "
                     "('sandbox:zippy', 'Zippy Express (sandbox)', 'courier', 1, '{\"sandbox\": true}')")
    add_orders(store, make_order("Q-9"))
    assert main(["quote", "--db", str(store.path), "Q-9"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Not asked: Off: turned off; add its key and turn it on in Settings > Carriers." in lines
    assert ("Not asked: Zippy Express (sandbox): a sandbox courier answers only while the demo app runs "
            "(controltower --demo).") in lines
    assert not any("Test Parcel" in line for line in lines if line.startswith("Not asked"))  # it was asked
    assert main(["quote", "--db", str(store.path), "Q-9", "--json"]) == 0
    printed = capsys.readouterr()
    assert json.loads(printed.out) and "Not asked: Off" in printed.err  # stdout stays one JSON list
