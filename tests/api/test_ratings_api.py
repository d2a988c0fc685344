"""Ratings through the API and webhooks: an order created with the customer's consent is asked for a rating on both
channels, consent can be withdrawn (audited as the token), and each rating read is announced once as rating.received."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import time_machine

from controltower.store import audit

from .conftest import new_order
from .receiver import Receiver

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from ratings_facts import RatedDeliveries  # noqa: E402

NOON = datetime(2030, 3, 2, 20, 0, tzinfo=timezone.utc)


def consents(core) -> list[tuple]:
    return [tuple(r) for r in core.db.query("SELECT channel, recipient, consented, source FROM rating_consents "
                                            "ORDER BY channel")]


def test_consent_given_with_the_order_and_withdrawn_later_is_audited_as_the_token(api, core):
    body = new_order("WEB-7", email="ada@example.com", phone="+1 503 555 0199", rating_consent=True)
    order_id = api.post("/v1/orders", json=body).json()["id"]
    assert consents(core) == [("email", "ada@example.com", 1, "api"), ("sms", "+15035550199", 1, "api")]
    answer = api.put(f"/v1/orders/{order_id}/rating-consent", json={"consented": False})
    assert answer.status_code == 200 and answer.json()["channels"] == ["email", "sms"]
    assert [row[2] for row in consents(core)] == [0, 0]
    actors = [(e["action"], e["actor"]) for e in audit.entries(core.db.reader(), "order", order_id)]
    assert ("rating.consent", "API token Zapier") in actors
    assert api.put("/v1/orders/999/rating-consent", json={"consented": True}).status_code == 404


def test_an_order_without_the_flag_gives_no_consent(api, core):
    api.post("/v1/orders", json=new_order("WEB-8", email="bo@example.com"))
    assert consents(core) == []


def test_each_rating_is_announced_once_and_earlier_ones_never(core):
    with Receiver() as receiver, time_machine.travel(NOON, tick=True):
        rated = RatedDeliveries(core.db, NOON - timedelta(hours=5))
        rated.rate(rated.asked(), 5)  # before anyone subscribed: history, not news
        _id, receiver.secret = core.webhooks.subscribe(receiver.url, ["rating.received"])
        shipment = rated.asked()
        rated.rate(shipment, 2, reason="late")
        core.webhooks.run_once()
        core.webhooks.run_once()
    assert receiver.types() == ["rating.received"]
    data = receiver.events[0]["data"]
    assert (data["shipment_id"], data["score"], data["reason"], data["channel"]) == (shipment, 2, "late", "email")
