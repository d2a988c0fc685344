"""Customer notifications: templates, SMTP with STARTTLS and login, Twilio's API, retries, quiet hours, opt-out, history."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from controltower.control.notify import enqueue, history
from controltower.control.notify.channels import SmtpChannel, SmtpConfig, TwilioChannel, TwilioConfig
from controltower.control.notify.outbox import opt_out
from controltower.control.notify.sender import NotificationSender
from controltower.domain.timeutil import UTC, to_iso
from controltower.store.secrets import set_secret

from control_facts import Facts
from fake_services import FakeTwilio, MailServer

NOON = datetime.now(UTC) + timedelta(minutes=5)  # the sender's clock, just after the messages were queued


def setup_shop(store):
    store.set_setting("shop.name", "Rosie's Bakes & Co")
    store.set_setting("shop.tracking_url", "https://track.example/t")


def queue(store, order_id, event="booked", key="k", channels=("email", "sms")):
    with store.transaction() as conn:
        return enqueue(conn, order_id, event, dedup_key=key, channels=channels)


def mail_channel(server, login=True) -> SmtpChannel:
    return SmtpChannel(SmtpConfig("127.0.0.1", server.port, "shop@rosies.example", "rosie" if login else "",
                                  "starttls", str(server.cert)))


def test_email_to_a_script_named_customer_is_escaped_and_sent_over_starttls_with_login(store, tmp_path):
    setup_shop(store)
    order = Facts(store).order(name="<script>alert(1)</script>", email="evil@example.com")
    shipment = Facts(store).shipment(order)
    store.set_setting("shop.timezone", "America/Los_Angeles")
    with store.transaction() as conn:
        conn.execute("UPDATE shipments SET tracking_number = 'ZP123' WHERE id = ?", (shipment,))
    queue(store, order, channels=("email",))
    set_secret("smtp", "password", "s3cret")
    with MailServer(tmp_path, login=("rosie", "s3cret")) as server:
        summary = NotificationSender(store, {"email": mail_channel(server)}, clock=lambda: NOON).run_once()
    assert summary.sent == 1
    (mail,) = server.received
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Rosie&#x27;s Bakes &amp; Co" in html and 'href="https://track.example/t/ZP123"' in html
    assert mail["Subject"].startswith("Your order R0001 from Rosie's Bakes & Co")
    assert "<script>alert(1)</script>" in mail.get_body(("plain",)).get_content()  # plain text is not markup
    (record,) = history(store.conn, order)
    assert (record.status, record.recipient, record.channel) == ("sent", "evil@example.com", "email")


def test_wrong_smtp_password_fails_without_retrying(store, tmp_path):
    order = Facts(store).order()
    queue(store, order, channels=("email",))
    set_secret("smtp", "password", "wrong")
    with MailServer(tmp_path, login=("rosie", "s3cret")) as server:
        summary = NotificationSender(store, {"email": mail_channel(server)}, clock=lambda: NOON).run_once()
    assert summary.failed == 1 and server.received == []
    (record,) = history(store.conn, order)
    assert "refused the login" in record.last_error


def test_sms_through_twilio_api_with_retry_and_backoff(store):
    order = Facts(store).order(phone="(415) 555-2671")
    queue(store, order, channels=("sms",))
    set_secret("twilio", "auth_token", "tok")
    with FakeTwilio() as twilio:
        channel = TwilioChannel(TwilioConfig(twilio.account_sid, "+15005550006", base_url=twilio.base_url))
        twilio.fail_next = [503]
        clock = [NOON]
        sender = NotificationSender(store, {"sms": channel}, clock=lambda: clock[0])
        assert sender.run_once().retrying == 1
        assert sender.run_once().sent == 0  # backing off: not due yet
        clock[0] = NOON + timedelta(seconds=31)
        assert sender.run_once().sent == 1
    (message,) = twilio.messages
    assert message["to"] == "+14155552671" and "R0001" in message["body"]
    row = store.query("SELECT status, attempts, provider_id FROM notifications")[0]
    assert (row["status"], row["attempts"], row["provider_id"]) == ("sent", 2, message["sid"])


def test_twilio_unsubscribed_recipient_is_opted_out(store):
    order = Facts(store).order()
    set_secret("twilio", "auth_token", "tok")
    queue(store, order, channels=("sms",))
    with FakeTwilio() as twilio:
        twilio.unsubscribed.add("+14155552671")
        channel = TwilioChannel(TwilioConfig(twilio.account_sid, "+15005550006", base_url=twilio.base_url))
        assert NotificationSender(store, {"sms": channel}, clock=lambda: NOON).run_once().failed == 1
    # The next message to that number is not even attempted.
    queue(store, order, event="delivered", key="k2", channels=("sms",))
    assert store.scalar("SELECT status FROM notifications WHERE template = 'delivered'") == "suppressed"


def test_opt_out_and_invalid_numbers_are_never_sent(store):
    f = Facts(store)
    opted = f.order(email="no@example.com")
    with store.transaction() as conn:
        opt_out(conn, "email", "No@Example.com", "asked by phone")
    queue(store, opted, channels=("email",))
    bad = f.order(phone="12")
    queue(store, bad, key="k2", channels=("sms",))
    statuses = dict(store.query("SELECT recipient, status FROM notifications"))
    assert statuses == {"no@example.com": "suppressed", "12": "failed"}


def test_quiet_hours_hold_messages_until_morning(store):
    store.set_setting("shop.timezone", "America/Los_Angeles")
    store.set_setting("notify.quiet_start", "21:00")
    store.set_setting("notify.quiet_end", "08:00")
    order = Facts(store).order()
    queue(store, order, channels=("sms",))
    late_evening = datetime.combine(NOON.date() + timedelta(days=1), datetime.min.time(), UTC).replace(hour=6)  # 22:00 in LA

    class Never:
        name = "sms"

        def send(self, item):
            raise AssertionError("sent during quiet hours")

    summary = NotificationSender(store, {"sms": Never()}, clock=lambda: late_evening).run_once()
    assert summary.deferred == 1
    assert store.scalar("SELECT next_attempt_at FROM notifications") == to_iso(late_evening + timedelta(hours=10))  # 08:00 local


def test_same_event_is_queued_once(store):
    order = Facts(store).order()
    assert len(queue(store, order, key="booked:1")) == 2
    assert queue(store, order, key="booked:1") == []
    assert store.scalar("SELECT count(*) FROM notifications") == 2


def test_sms_claimed_and_accepted_before_a_crash_is_not_sent_again(store):
    """The crash window: Twilio took the message but the sender died before recording it."""
    order = Facts(store).order()
    set_secret("twilio", "auth_token", "tok")
    queue(store, order, channels=("sms",))
    with FakeTwilio() as twilio:
        channel = TwilioChannel(TwilioConfig(twilio.account_sid, "+15005550006", base_url=twilio.base_url))

        class DiesAfterSending:
            name = "sms"

            def send(self, item):
                channel.send(item)
                raise KeyboardInterrupt  # stands for the process dying before the 'sent' commit

        with pytest.raises(KeyboardInterrupt):
            NotificationSender(store, {"sms": DiesAfterSending()}, clock=lambda: NOON).run_once()
        assert store.scalar("SELECT status FROM notifications") == "sending"
        restarted = NotificationSender(store, {"sms": channel}, clock=lambda: NOON)
        assert restarted.recover() == 1
        restarted.run_once()
    assert len(twilio.messages) == 1
    row = store.query("SELECT status, provider_id, note FROM notifications")[0]
    assert row["status"] == "sent" and row["provider_id"] == twilio.messages[0]["sid"] and "confirmed" in row["note"]


def test_sender_runs_in_the_background_on_asyncio(store, tmp_path):
    import asyncio

    asyncio.run(_background(store, tmp_path))


async def _background(store, tmp_path):
    import asyncio

    order = Facts(store).order()
    queue(store, order, channels=("email",))
    with MailServer(tmp_path, tls=False) as server:
        channel = SmtpChannel(SmtpConfig("127.0.0.1", server.port, "shop@rosies.example", security="none"))
        sender = NotificationSender(store, {"email": channel})
        sender.start(interval=0.05)
        for _ in range(100):
            if server.received:
                break
            await asyncio.sleep(0.05)
        await sender.stop()
    assert len(server.received) == 1


def test_status_changes_queue_the_customer_message_once(store):
    from controltower.control.notify.triggers import StatusNotifier
    from controltower.domain import ShipmentStatus as S

    f = Facts(store)
    order = f.order()
    shipment = f.shipment(order, status=S.BOOKED, status_as_of=datetime.now(UTC) - timedelta(minutes=10))
    notifier = StatusNotifier(store)
    assert notifier.run() == 2  # email and SMS
    assert notifier.run() == 0
    f.event(shipment, "out_for_delivery", datetime.now(UTC) - timedelta(minutes=1))
    assert notifier.run() == 2
    templates = [r[0] for r in store.query("SELECT template FROM notifications ORDER BY id")]
    assert templates == ["booked", "booked", "out_for_delivery", "out_for_delivery"]
    store.set_setting("notify.auto_events", "delivered")
    f.event(shipment, "delivered", datetime.now(UTC))
    assert notifier.run() == 2
