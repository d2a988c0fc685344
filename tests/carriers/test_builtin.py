"""The built-in carriers (own fleet, pickup) and the registry that creates every adapter by code."""
from __future__ import annotations

import pytest

from controltower.carriers import base, registry
from controltower.carriers.base import AdapterConfig, Capability, CarrierAdapter
from controltower.domain import Money

from .samples import shipment_request

pytestmark = pytest.mark.anyio


async def test_own_fleet_quotes_its_cost_per_drop_and_books_idempotently():
    fleet = registry.create(AdapterConfig("own_fleet", settings={"price_minor": 750}))
    [quote] = await fleet.quote(shipment_request())
    assert quote.price == Money(750) and quote.service == "own_van"
    first = await fleet.book(shipment_request(), "k")
    assert first == await fleet.book(shipment_request(), "k") == await fleet.find_booking_by_reference("CT-1001-1")
    assert first.external_id == "fleet:CT-1001-1" and await fleet.track(first.tracking_ref) == []
    assert (await fleet.create_return(shipment_request("CT-R"), "r")).external_id == "fleet:CT-R"


async def test_pickup_is_free_and_cannot_be_returned_by_carrier():
    pickup = registry.create(AdapterConfig("pickup"))
    assert (await pickup.quote(shipment_request()))[0].price == Money(0)
    assert (await pickup.cancel("pickup:CT-1")).cancelled
    assert not pickup.supports(Capability.RETURN)
    with pytest.raises(base.NotSupported) as caught:
        await pickup.create_return(shipment_request(), "r")
    assert str(caught.value) == "In-store pickup does not offer return"
    assert (await pickup.test_connection()).ok


def test_registry_knows_every_carrier_and_their_credentials():
    for code in ("own_fleet", "pickup", "easypost", "shippo", "uber_direct", "doordash"):
        cls = registry.factory_for(code)
        assert issubclass(cls, CarrierAdapter) and cls.code == code and cls.capabilities
    assert [f.name for f in registry.factory_for("easypost").credential_fields] == ["api_key"]
    with pytest.raises(KeyError):
        registry.factory_for("pigeon_post")


def test_plugins_register_a_family_of_codes():
    class Pigeon(registry.factory_for("pickup")):
        code = "pigeon"

    registry.register("pigeon", Pigeon)
    try:
        assert isinstance(registry.create(AdapterConfig("pigeon:fast")), Pigeon)
        assert "pigeon" in registry.codes()
    finally:
        registry.unregister("pigeon")


def test_every_adapter_can_be_built_before_its_keys_are_saved():
    """Listing accounts never fails: a missing key or DoorDash's access tick matter only when a call is made."""
    for code in ("own_fleet", "pickup", "easypost", "shippo", "uber_direct", "doordash", *registry.KARRIO_CODES):
        adapter = registry.create(AdapterConfig(code))
        assert adapter.code == code
