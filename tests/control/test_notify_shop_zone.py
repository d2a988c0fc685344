"""A customer's message says its times in the shop's zone (store.shop_clock): the one set in Settings, else the
computer's; followed to the SMS fake."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from controltower.control.notify import enqueue
from controltower.control.notify.channels import TwilioChannel, TwilioConfig
from controltower.control.notify.sender import NotificationSender
from controltower.domain.timeutil import UTC
from controltower.store import shop_clock
from controltower.store.secrets import set_secret

from control_facts import Facts
from fake_services import FakeTwilio

PROMISED = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 18:00 on Tuesday 24 Nov in Los Angeles


@pytest.mark.parametrize("setting, computer", [("America/Los_Angeles", "Europe/Berlin"), (None, "America/Los_Angeles")],
                         ids=["zone set in Settings", "no zone set: the computer's"])
def test_the_booked_sms_says_the_time_in_the_shops_zone(store, monkeypatch, setting, computer):
    monkeypatch.setattr(shop_clock, "computer_zone", lambda: ZoneInfo(computer))
    if setting:
        store.set_setting(shop_clock.SETTING, setting)
    order = Facts(store).order(promised_end=PROMISED)
    Facts(store).shipment(order)
    set_secret("twilio", "auth_token", "tok")
    with time_machine.travel(PROMISED - timedelta(hours=3), tick=False), FakeTwilio() as twilio:
        with store.transaction() as conn:
            enqueue(conn, order, "booked", dedup_key="k", channels=("sms",))
        channel = TwilioChannel(TwilioConfig(twilio.account_sid, "+15005550006", base_url=twilio.base_url))
        sent = NotificationSender(store, {"sms": channel}).run_once()
    assert sent.sent == 1
    (message,) = twilio.messages
    assert "expected Tue 24 Nov, 18:00" in message["body"], message["body"]  # UTC would say Wed 25 Nov, 02:00
