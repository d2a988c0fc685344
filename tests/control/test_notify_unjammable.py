"""One message a channel can't carry never jams the sender: it is cleaned (a subject with CR/LF, an SMS over Twilio's
1,600 units) or fails alone with its reason, while the others go out, each received once."""
from __future__ import annotations

from datetime import datetime

import time_machine

from controltower.control.notify import enqueue, history
from controltower.control.notify.channels import SmtpChannel, SmtpConfig, TwilioChannel, TwilioConfig
from controltower.control.notify.sender import NotificationSender
from controltower.domain.timeutil import UTC
from controltower.store.secrets import set_secret

from control_facts import Facts
from fake_services import FakeTwilio, MailServer

TUESDAY_NOON = datetime(2025, 10, 7, 19, 0, tzinfo=UTC)


def queue(store, order_id, key, channel, event="booked", values=None):
    with store.transaction() as conn:
        return enqueue(conn, order_id, event, dedup_key=key, channels=(channel,), values=values)


def statuses(store):
    return dict(store.query("SELECT o.order_ref, n.status FROM notifications n JOIN orders o ON o.id = n.order_id"))


def test_a_subject_with_cr_lf_and_an_address_with_a_header_in_it_do_not_jam_the_mail(store, tmp_path):
    store.set_setting("shop.name", "Rosie's")
    facts = Facts(store)
    with time_machine.travel(TUESDAY_NOON, tick=False):
        first = facts.order(ref="R-1", email="ada@example.com")
        split_ref = facts.order(ref="R-2\r\nBcc: everyone@example.com", email="bob@example.com")  # an order number from a CSV cell
        smuggled = facts.order(ref="R-3", email="cy@example.com\r\nBcc: everyone@example.com")
        last = facts.order(ref="R-4", email="dee@example.com")
        for n, order in enumerate((first, split_ref, smuggled, last)):
            queue(store, order, f"k{n}", "email")
        with store.transaction() as conn:  # queued by an older version, which left CR/LF in the subject
            conn.execute("UPDATE notifications SET subject = 'Your order R-4\r\nfrom Rosie''s' WHERE order_id = ?", (last,))
        with MailServer(tmp_path, tls=False) as server:
            sender = NotificationSender(store, {"email": SmtpChannel(SmtpConfig("127.0.0.1", server.port, "shop@rosies.example",
                                                                                security="none"))})
            summary = sender.run_once()
            again = sender.run_once()
    assert (summary.sent, summary.failed) == (3, 1) and (again.sent, again.failed) == (0, 0)
    assert sorted(str(mail["To"]) for mail in server.received) == ["ada@example.com", "bob@example.com", "dee@example.com"]
    (cleaned,) = [mail for mail in server.received if mail["To"] == "bob@example.com"]
    assert cleaned["Subject"] == "Your order R-2 Bcc: everyone@example.com from Rosie's is booked"  # text on one line
    (older,) = [mail for mail in server.received if mail["To"] == "dee@example.com"]
    assert older["Subject"] == "Your order R-4 from Rosie's"
    assert all(mail["Bcc"] is None for mail in server.received)
    assert statuses(store) == {"R-1": "sent", "R-2\r\nBcc: everyone@example.com": "sent", "R-3": "failed", "R-4": "sent"}
    (record,) = history(store.conn, smuggled)
    assert "is not one email address" in record.last_error


def test_an_sms_longer_than_twilio_carries_is_shortened_and_the_rest_go_out(store):
    set_secret("twilio", "auth_token", "tok")
    facts = Facts(store)
    with time_machine.travel(TUESDAY_NOON, tick=False):
        orders = [facts.order(phone=f"+1 415 555 26{n:02d}") for n in range(3)]
        queue(store, orders[0], "a", "sms")
        queue(store, orders[1], "b", "sms", event="custom", values={"message": "🌷" * 1000, "subject": "Spring"})
        queue(store, orders[2], "c", "sms")
        with store.transaction() as conn:  # queued by an older version, which cut by characters, not UTF-16 units
            conn.execute("UPDATE notifications SET body = ? WHERE order_id = ?", ("🚚" * 1600, orders[2]))
        with FakeTwilio() as twilio:
            channel = TwilioChannel(TwilioConfig(twilio.account_sid, "+15005550006", base_url=twilio.base_url))
            sender = NotificationSender(store, {"sms": channel})
            summary = sender.run_once()
            sender.run_once()
    assert (summary.sent, summary.failed, summary.retrying) == (3, 0, 0)
    assert len(twilio.messages) == 3 and len({m["to"] for m in twilio.messages}) == 3
    for flower in "🌷🚚":
        (long,) = [m for m in twilio.messages if flower in m["body"]]
        assert long["body"].endswith("…") and len(long["body"].encode("utf-16-le")) // 2 <= 1600
    assert set(statuses(store).values()) == {"sent"}


def test_an_unexpected_error_in_a_channel_fails_that_message_with_its_reason(store):
    class Fussy:
        name = "sms"

        def __init__(self):
            self.sent = []

        def send(self, item):
            if "R0002" in item.body:
                raise UnicodeEncodeError("gsm", item.body, 0, 1, "no such character on this network")
            self.sent.append(item.body)
            return f"SM{len(self.sent)}"

        def find_sent(self, item):
            return None

    facts = Facts(store)
    with time_machine.travel(TUESDAY_NOON, tick=False):
        orders = [facts.order(phone=f"+1 415 555 26{n:02d}") for n in range(3)]
        for n, order in enumerate(orders):
            queue(store, order, f"k{n}", "sms")
        fussy = Fussy()
        summary = NotificationSender(store, {"sms": fussy}).run_once()
    assert (summary.sent, summary.failed) == (2, 1) and len(fussy.sent) == 2
    assert statuses(store) == {"R0001": "sent", "R0002": "failed", "R0003": "sent"}
    (record,) = history(store.conn, orders[1])
    assert "could not be sent" in record.last_error and "no such character" in record.last_error
