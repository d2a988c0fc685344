"""ETAs from days in transit (issue 18, item 4): the carriers' published rates with `delivery_days` (EasyPost) and
`estimated_days`/`duration_terms`/`arrives_by` (Shippo) but no date are dated in dispatch, in business days from the
shop's ship day, by the end of that day in the shop's zone, and marked as estimated.

The rates come from tests/carriers/published/ through the real clients over httpx.MockTransport.
"""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from controltower.carriers.base import AdapterConfig
from controltower.carriers.easypost.client import EasyPostAdapter
from controltower.carriers.shippo.client import ShippoAdapter
from controltower.dispatch.rates import NO_ESTIMATE, OVER_PROMISE, CarrierAnswer, compare, dated_quotes
from controltower.domain import CarrierKind
from controltower.domain.timeutil import utcnow

from tests.carriers.published import PublishedCarrier, payload
from tests.carriers.samples import shipment_request
from .conftest import make_order, shop_settings, window

LA = ZoneInfo("America/Los_Angeles")


def la(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LA)


async def _published_answers() -> list[CarrierAnswer]:
    easypost = PublishedCarrier({"POST /shipments": (201, payload("easypost", "shipment_create"))})
    shippo = PublishedCarrier({"POST /shipments": (201, payload("shippo", "shipment_create"))})
    async with EasyPostAdapter(AdapterConfig("easypost", {"api_key": "EZTK_published"}), transport=easypost.transport) as ep:
        ep_quotes = await ep.quote(shipment_request())
    async with ShippoAdapter(AdapterConfig("shippo", {"api_token": "shippo_test_published"}, {"poll_interval_s": 0}),
                             transport=shippo.transport) as sh:
        sh_quotes = await sh.quote(shipment_request())
    return [CarrierAnswer("easypost", "EasyPost", CarrierKind.PARCEL, tuple(ep_quotes)),
            CarrierAnswer("shippo", "Shippo", CarrierKind.PARCEL, tuple(sh_quotes))]


def _etas(rows) -> dict[str, datetime]:
    return {f"{r.carrier}/{r.service}": r.estimated_delivery.astimezone(LA) for r in rows if r.estimated_delivery}


def test_published_transit_days_are_carried_on_the_quotes():
    """Planted bug caught: the old parse (no transit_days/arrives_by read) leaves every quote without a basis."""
    answers = asyncio.run(_published_answers())
    days = {q.service: (q.transit_days, q.arrives_by and q.arrives_by.isoformat()) for a in answers for q in a.quotes}
    assert days == {"USPS:Express": (1, None), "USPS:Priority": (2, None), "USPS:GroundAdvantage": (3, None),
                    "FedEx:fedex_first_overnight": (1, "08:30:00"), "USPS:usps_priority": (2, None),
                    "UPS:ups_ground": (3, None)}
    assert all(q.estimated_delivery is None for a in answers for q in a.quotes)  # the published rates give no date


def test_friday_quotes_arrive_in_business_days_after_the_weekend_by_the_end_of_the_shops_day():
    """Planted bugs caught: calendar days (Express on Saturday); the end of the day in UTC (16:00 in Los Angeles)."""
    settings = shop_settings(timezone="America/Los_Angeles")
    order = make_order("T1", window=window("2026-12-07T09:00", "2026-12-07T21:00"))  # Monday, New York times
    answers = asyncio.run(_published_answers())
    with time_machine.travel(la("2026-12-04T15:00"), tick=False):  # a Friday afternoon at the shop
        now = utcnow()
        rows = compare(order, answers, settings, now)
        saved = dated_quotes(answers, settings, now)
    assert _etas(rows) == {
        "easypost/USPS:Express": la("2026-12-07T23:59:59"), "easypost/USPS:Priority": la("2026-12-08T23:59:59"),
        "easypost/USPS:GroundAdvantage": la("2026-12-09T23:59:59"),
        "shippo/FedEx:fedex_first_overnight": la("2026-12-07T08:30"),  # by the carrier's own arrives_by
        "shippo/USPS:usps_priority": la("2026-12-08T23:59:59"), "shippo/UPS:ups_ground": la("2026-12-09T23:59:59"),
    }
    by_service = {r.service: r for r in rows}
    assert all(NO_ESTIMATE not in r.flags for r in rows)
    # Monday 18:00 in Los Angeles is 21:00 in New York: the overnight keeps it, the end of Monday does not.
    assert OVER_PROMISE not in by_service["FedEx:fedex_first_overnight"].flags
    assert OVER_PROMISE in by_service["USPS:Express"].flags
    assert "estimated from 1 business day in transit" in by_service["USPS:Express"].detail  # less sure than a carrier's time
    assert {q.service: q.estimated_delivery for q in saved} == {r.service: r.estimated_delivery for r in rows}


def test_the_ship_day_is_the_shops_day_not_the_utc_one():
    """Sunday 18:00 in Los Angeles is already Monday in UTC. Planted bug caught: counting from the UTC date
    (Express on Tuesday)."""
    settings = shop_settings(timezone="America/Los_Angeles")
    answers = asyncio.run(_published_answers())
    with time_machine.travel(la("2026-12-06T18:00"), tick=False):
        rows = compare(make_order("T2"), answers, settings, utcnow())
    etas = _etas(rows)
    assert etas["easypost/USPS:Express"] == la("2026-12-07T23:59:59")
    assert etas["shippo/FedEx:fedex_first_overnight"] == la("2026-12-07T08:30")
    assert etas["easypost/USPS:GroundAdvantage"] == la("2026-12-09T23:59:59")


def test_a_carrier_date_is_kept_and_not_marked_as_estimated():
    """A quote with the carrier's own date keeps it, whatever its days in transit say."""
    settings = shop_settings(timezone="America/Los_Angeles")
    created = payload("easypost", "shipment_create")
    created["rates"][0]["delivery_date"] = "2026-12-10T17:00:00Z"

    async def ask():
        carrier = PublishedCarrier({"POST /shipments": (201, created)})
        async with EasyPostAdapter(AdapterConfig("easypost", {"api_key": "EZTK_published"}), transport=carrier.transport) as ep:
            return await ep.quote(shipment_request())

    quotes = asyncio.run(ask())
    with time_machine.travel(la("2026-12-04T15:00"), tick=False):
        rows = compare(make_order("T3"), [CarrierAnswer("easypost", "EasyPost", CarrierKind.PARCEL, tuple(quotes))],
                       settings, utcnow())
    dated = next(r for r in rows if r.quote.external_id.endswith(created["rates"][0]["id"]))
    assert dated.estimated_delivery == datetime.fromisoformat("2026-12-10T17:00:00+00:00")
    assert dated.detail == ""
