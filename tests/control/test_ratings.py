"""Ratings after delivery without a server: the delivered SMS and email ask "How did we do? Reply 1-5" (only with the
customer's consent); replies are read from Twilio's paged Messages list and a real IMAP mailbox (pymap), matched to
the last question within 48 hours; a low score asks one follow-up and opens a case; STOP and START are honoured."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from controltower.control.notify import outbox
from controltower.control.notify.sender import NotificationSender, channels_from_settings
from controltower.control.notify.triggers import StatusNotifier
from controltower.control.ratings.parse import parse_reason, parse_reply, parse_score
from controltower.domain import ShipmentStatus
from controltower.services.core import Cadence, ControlTower, Options
from controltower.services.ratings import RatingsService
from controltower.store.secrets import set_secret

from control_facts import Facts
from fake_services import FakeTwilio, MailServer
from imap_server import PASSWORD, USER, ImapServer
from waiting import until

NOON = datetime(2026, 11, 25, 20, 0, tzinfo=timezone.utc)
SHOP_NUMBER = "+15005550006"
ADA_PHONE = "+14155552671"


@pytest.mark.parametrize("text, score", [
    ("5, great!", 5), ("5", 5), (" 4/5 ", 4), ("3 out of 5", 3), ("five", 5), ("Five stars!", 5), ("⭐⭐⭐⭐", 4),
    ("1\n\nOn Wed, 25 Nov 2026, Rose City Flowers wrote:\n> How did we do? Reply 1-5", 1),
    ("55", None), ("4.5", None), ("10/10", None), ("0", None), ("3 or 4", None), ("no one was home", None),
    ("thanks!", None)])
def test_a_score_is_read_forgivingly_but_never_guessed(text, score):
    assert parse_score(parse_reply(text).comment or text) == score
    assert (parse_reply(text).kind == "score") == (score is not None)


@pytest.mark.parametrize("text, kind", [("STOP", "stop"), ("Stop.", "stop"), ("unsubscribe", "stop"),
                                        ("START", "start"), ("stop being late", "unreadable")])
def test_stop_and_start_are_whole_replies(text, kind):
    assert parse_reply(text).kind == kind


def test_the_follow_up_reason_is_the_one_named_first():
    assert parse_reason("It was late and the box was crushed") == "late"
    assert parse_reason("box crushed, also late") == "damaged"
    assert parse_reason("left at the wrong house") == "wrong_place"
    assert parse_reason("the driver was rude") == "driver"
    assert parse_reason("meh") == "other"


# ---------------------------------------------------------------------------------------------- the shop as set up

@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def set_up_sms(db, twilio: FakeTwilio) -> None:
    """Settings > Email and SMS: the Twilio account (the token in the keychain)."""
    for key, value in {"notify.twilio.account_sid": twilio.account_sid, "notify.twilio.from": SHOP_NUMBER,
                       "notify.twilio.base_url": twilio.base_url}.items():
        db.set_setting(key, value)
    set_secret("twilio", "auth_token", twilio.token)


def delivered_order(db, *, consent: bool = True, email: str = "ada@example.com") -> tuple[int, int]:
    facts = Facts(db)
    order = facts.order(email=email, phone="+1 415 555 2671", ref=f"R{db.scalar('SELECT count(*) FROM orders') + 1:04d}")
    shipment = facts.shipment(order, status=ShipmentStatus.DELIVERED, status_as_of=NOON - timedelta(minutes=5))
    if consent:
        RatingsService(db).set_consent(order, True, source="checkout")
    return order, shipment


def send_due(db) -> None:
    """The app's customer-messages job: queue status news (the delivered message), then send what is due."""
    NotificationSender(db, channels_from_settings(db), status_notifier=StatusNotifier(db)).run_once()


def sms_to(twilio: FakeTwilio, number: str) -> list[str]:
    return [m["body"] for m in twilio.messages if m.get("direction") == "outbound-api" and m["to"] == number]


def ratings(db) -> list[tuple]:
    return [tuple(r) for r in db.query("SELECT score, channel, reason FROM ratings ORDER BY id")]


def test_an_sms_reply_on_a_later_page_of_twilios_list_is_matched_to_the_delivered_question(store, twilio, clock):
    set_up_sms(store, twilio)
    order, shipment = delivered_order(store)
    send_due(store)
    (question,) = sms_to(twilio, ADA_PHONE)
    assert question.endswith("has been delivered. Thank you! How did we do? Reply 1-5 (5 = great).")
    clock.shift(timedelta(hours=3))
    twilio.inbound(ADA_PHONE, "5, great!", NOON + timedelta(hours=2))
    for n in range(150):  # other customers' texts, newer: Ada's reply is on the second page of 100
        twilio.inbound(f"+1415555{n:04d}", "hi", NOON + timedelta(hours=2, minutes=1, seconds=n))
    result = RatingsService(store).read_replies()
    assert ratings(store) == [(5, "sms", "")]
    assert store.scalar("SELECT order_id FROM ratings") == order
    assert any("Page=1" in path and "PageToken" in path for path in twilio.list_requests), twilio.list_requests
    assert "1 rating(s)" in result
    # Read again (the last hour's overlap is listed again): each message counts once.
    assert RatingsService(store).read_replies().startswith("0 repl(ies) read")
    assert ratings(store) == [(5, "sms", "")]


def test_a_reply_after_48_hours_is_not_matched_and_55_is_no_score(store, twilio, clock):
    set_up_sms(store, twilio)
    delivered_order(store)
    send_due(store)
    clock.shift(timedelta(hours=50))
    twilio.inbound(ADA_PHONE, "55", NOON + timedelta(hours=1))
    twilio.inbound(ADA_PHONE, "4", NOON + timedelta(hours=48, minutes=1))  # just past the 48 hours
    RatingsService(store).read_replies()
    assert ratings(store) == []
    outcomes = dict(store.query("SELECT body, outcome FROM rating_replies"))
    assert outcomes == {"55": "no score 1-5 in the reply",
                        "4": "no question went to this address in the 48 hours before"}


def test_a_score_inside_the_48_hours_after_an_unreadable_reply_counts(store, twilio, clock):
    set_up_sms(store, twilio)
    delivered_order(store)
    send_due(store)
    clock.shift(timedelta(hours=48))
    twilio.inbound(ADA_PHONE, "55", NOON + timedelta(hours=1))
    twilio.inbound(ADA_PHONE, "sorry, 4", NOON + timedelta(hours=47, minutes=59))
    RatingsService(store).read_replies()
    assert ratings(store) == [(4, "sms", "")]


def test_no_question_without_the_customers_consent(store, twilio, clock):
    set_up_sms(store, twilio)
    delivered_order(store, consent=False)
    send_due(store)
    (message,) = sms_to(twilio, ADA_PHONE)
    assert "How did we do" not in message
    twilio.inbound(ADA_PHONE, "5", NOON + timedelta(minutes=30))
    clock.shift(timedelta(hours=1))
    RatingsService(store).read_replies()
    assert ratings(store) == [] and store.scalar("SELECT count(*) FROM rating_requests") == 0


def test_stop_is_honoured_and_start_undoes_it(store, twilio, clock):
    set_up_sms(store, twilio)
    delivered_order(store)
    send_due(store)
    twilio.inbound(ADA_PHONE, "STOP", NOON + timedelta(minutes=10))
    clock.shift(timedelta(minutes=20))
    RatingsService(store).read_replies()
    assert store.scalar("SELECT count(*) FROM customer_optouts WHERE channel = 'sms' AND recipient = ?", (ADA_PHONE,)) == 1
    second, _ = delivered_order(store)  # her next order is delivered: no SMS at all, and no question
    send_due(store)
    assert len(sms_to(twilio, ADA_PHONE)) == 1
    assert store.scalar("SELECT status FROM notifications WHERE order_id = ? AND channel = 'sms'", (second,)) == "suppressed"
    twilio.inbound(ADA_PHONE, "START", NOON + timedelta(minutes=30))
    clock.shift(timedelta(minutes=20))
    RatingsService(store).read_replies()
    third, _ = delivered_order(store)
    send_due(store)
    assert len(sms_to(twilio, ADA_PHONE)) == 2 and "How did we do?" in sms_to(twilio, ADA_PHONE)[-1]


def test_a_low_rating_opens_a_case_and_asks_one_follow_up_whose_answer_is_the_reason(store, twilio, clock):
    set_up_sms(store, twilio)
    order, shipment = delivered_order(store)
    send_due(store)
    twilio.inbound(ADA_PHONE, "1 - not happy", NOON + timedelta(minutes=30))
    twilio.inbound(ADA_PHONE, "1", NOON + timedelta(minutes=31))  # said twice: still one rating, one follow-up
    clock.shift(timedelta(hours=1))
    service = RatingsService(store)
    service.read_replies()
    send_due(store)
    service.read_replies()
    send_due(store)
    follow_ups = [body for body in sms_to(twilio, ADA_PHONE) if "What went wrong?" in body]
    assert len(follow_ups) == 1 and "LATE, DAMAGED, WRONG PLACE or DRIVER" in follow_ups[0]
    case = store.query("SELECT kind, order_id, shipment_id, summary, resolved_at FROM exceptions")
    assert [tuple(c) for c in case] == [("low_rating", order, shipment,
                                         "The customer rated the delivery 1/5: “1 - not happy”", None)]
    twilio.inbound(ADA_PHONE, "The driver threw it over the fence", NOON + timedelta(hours=1, minutes=30))
    clock.shift(timedelta(hours=1))
    service.read_replies()
    assert ratings(store) == [(1, "sms", "driver")]
    assert "What went wrong: Driver" in store.scalar("SELECT summary FROM exceptions")
    assert store.scalar("SELECT count(*) FROM exception_actions WHERE action = 'customer_replied'") == 1


def test_an_email_reply_in_the_shops_imap_mailbox_rates_the_delivery(store, tmp_path):
    with MailServer(tmp_path, login=("rose", "s3cret")) as mail, ImapServer() as imap, \
            time_machine.travel(NOON, tick=False) as clock:
        for key, value in {"notify.smtp.host": "127.0.0.1", "notify.smtp.port": str(mail.port),
                           "notify.smtp.from": "shop@rosecity.example", "notify.smtp.username": "rose",
                           "notify.smtp.security": "starttls", "notify.smtp.ca_file": str(mail.cert),
                           "notify.imap.host": "127.0.0.1", "notify.imap.port": str(imap.port),
                           "notify.imap.username": USER, "notify.imap.security": "none"}.items():
            store.set_setting(key, value)
        set_secret("smtp", "password", "s3cret")
        set_secret("imap", "password", PASSWORD)
        order, _ = delivered_order(store, email="Ada@Example.com")
        send_due(store)
        (sent,) = mail.received
        assert "Reply to this email with a number from 1 (poor) to 5 (great)" in sent.get_body(("plain",)).get_content()
        imap.deliver("Ada Lovelace <ada@example.com>", "4\n\nOn Wed, Rose City Flowers wrote:\n> How did we do?",
                     NOON + timedelta(hours=5))
        imap.deliver("someone@else.example", "5", NOON + timedelta(hours=5))
        clock.shift(timedelta(hours=6))
        RatingsService(store).read_replies()
        assert RatingsService(store).read_replies().startswith("0 repl(ies) read")  # from its mark: nothing twice
    assert ratings(store) == [(4, "email", "")]
    assert store.scalar("SELECT count(*) FROM rating_replies") == 2
    assert "password" not in " ".join(str(v) for row in store.query("SELECT * FROM settings") for v in tuple(row))


def test_the_app_reads_replies_as_one_of_its_jobs(tmp_path, twilio):
    from controltower.store import Database

    with time_machine.travel(NOON, tick=True):
        db = Database(tmp_path / "store.db")
        set_up_sms(db, twilio)
        delivered_order(db)
        cadence = Cadence(notifications=0.05, notifications_first_after=0, exceptions=3600, returns=3600, backup=3600,
                          backup_first_after=3600, ratings=0.05, ratings_first_after=0)
        core = ControlTower(db, options=Options(sync=False, cadence=cadence))

        async def main() -> None:
            core.start()
            try:
                await until(lambda: sms_to(twilio, ADA_PHONE))
                twilio.inbound(ADA_PHONE, "2", NOON + timedelta(seconds=1))
                await until(lambda: any("What went wrong?" in body for body in sms_to(twilio, ADA_PHONE)))
            finally:
                await core.stop()

        asyncio.run(main())
        statuses = {s.name: s for s in core.job_statuses()}
        assert statuses["ratings"].runs >= 1 and statuses["ratings"].last_error == ""
        assert ratings(db) == [(2, "sms", "")]
        assert db.scalar("SELECT kind FROM exceptions") == "low_rating"
        core.close()


def test_an_unreachable_mailbox_is_an_error_while_the_sms_replies_are_still_read(store, twilio, clock):
    set_up_sms(store, twilio)
    store.set_setting("notify.imap.host", "127.0.0.1")
    store.set_setting("notify.imap.port", "1")  # nothing listens there
    store.set_setting("notify.imap.username", "replies")
    store.set_setting("notify.imap.security", "none")
    set_secret("imap", "password", "pw")
    delivered_order(store)
    send_due(store)
    twilio.inbound(ADA_PHONE, "4", NOON + timedelta(minutes=5))
    clock.shift(timedelta(minutes=10))
    with pytest.raises(RuntimeError, match=r"could not reach the mailbox 127\.0\.0\.1:1.*1 rating\(s\)"):
        RatingsService(store).read_replies()
    assert ratings(store) == [(4, "sms", "")]


def test_replies_are_read_from_a_folder_whose_name_has_a_space(store, twilio):
    with ImapServer() as imap, time_machine.travel(NOON, tick=False) as clock:
        set_up_sms(store, twilio)
        for key, value in {"notify.imap.host": "127.0.0.1", "notify.imap.port": str(imap.port),
                           "notify.imap.username": USER, "notify.imap.security": "none",
                           "notify.imap.mailbox": "Customer replies"}.items():
            store.set_setting(key, value)
        set_secret("imap", "password", PASSWORD)
        delivered_order(store)
        send_due(store)
        with store.transaction() as conn:  # the delivered email went out (its SMTP side is the test above)
            (email,) = conn.execute("SELECT id FROM notifications WHERE channel = 'email'").fetchone()
            outbox.mark_sent(conn, email, NOON.isoformat(), "<delivered@rosecity.example>")
        imap.deliver("ada@example.com", "5", NOON + timedelta(hours=1), folder="Customer replies")
        clock.shift(timedelta(hours=2))
        result = RatingsService(store).read_replies()
    assert ratings(store) == [(5, "email", "")], result
