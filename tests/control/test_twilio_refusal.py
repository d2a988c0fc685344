"""A message Twilio refuses is failed with Twilio's own words, and the sender's command line keeps its interval."""
from datetime import datetime, timezone

import httpx
import pytest

from controltower.control.notify import sender as sender_module
from controltower.control.notify.channels import Outgoing, SendError, TwilioChannel, TwilioConfig
from controltower.store import Database
from controltower.store.secrets import set_secret

REFUSAL = {"code": 21211, "message": "The 'To' number +1415555 is not a valid phone number.", "more_info":
           "https://www.twilio.com/docs/errors/21211", "status": 400}


def test_a_refused_sms_says_what_twilio_said_not_its_raw_answer():
    set_secret("twilio", "auth_token", "tok")
    transport = httpx.MockTransport(lambda request: httpx.Response(400, json=REFUSAL))
    channel = TwilioChannel(TwilioConfig("AC123", sender="+14155550100"), httpx.Client(transport=transport))
    item = Outgoing(1, "sms", "+1415555", "", "Your order is on its way", "booked:1", datetime(2026, 11, 25, tzinfo=timezone.utc))
    with pytest.raises(SendError) as refused:
        channel.send(item)
    assert str(refused.value) == "Twilio 400 21211: The 'To' number +1415555 is not a valid phone number."
    assert refused.value.permanent


def test_the_sender_command_starts_with_the_interval_it_is_given(tmp_path, monkeypatch):
    Database(tmp_path / "store.db").close()
    started = []

    class Started(Exception):
        pass

    def start(self, interval):
        started.append(interval)
        raise Started

    monkeypatch.setattr(sender_module.NotificationSender, "start", start)
    with pytest.raises(Started):
        sender_module.main(["--db", str(tmp_path / "store.db"), "--interval", "2.5"])
    assert started == [2.5]
