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
