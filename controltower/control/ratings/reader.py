"""Reading customers' replies: each inbound message once, matched to the last question sent to its address within
48 hours; a score recorded, a low one followed up once and opened as a case; STOP and START honoured."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol

from ...domain import Severity
from ...domain.timeutil import to_iso, utcnow
from ...kernel.events import EventHub
from ...store import Database, audit, settings
from .. import case_store
from ..notify.outbox import enqueue, opt_in, opt_out
from ..notify.templates import TemplateSet
from ..rules.base import Finding
from . import store
from .asking import may_ask
from .inbox import Batch, Inbound
from .parse import REASON_LABELS, parse_reply

log = logging.getLogger(__name__)
LOW = 2  # a score this low or lower is followed up and opened as a case
ACTOR = "customer reply"


class Inbox(Protocol):
    channel: str

    def fetch(self, cursor: str | None, now: datetime) -> Batch: ...


@dataclass(frozen=True)
class ReadSummary:
    read: int = 0
    rated: int = 0
    low: int = 0
    reasons: int = 0
    opted_out: int = 0
    unmatched: int = 0
    errors: tuple[str, ...] = ()

    def summary(self) -> str:
        return (f"{self.read} repl(ies) read: {self.rated} rating(s) ({self.low} low), {self.reasons} reason(s), "
                f"{self.opted_out} opt-out(s), {self.unmatched} not matched")


class RatingReader:
    """`run_once()` reads every inbox (in a worker thread: the app's ratings job) and records what the replies say."""

    def __init__(self, db: Database, inboxes: list[Inbox], *, hub: EventHub | None = None,
                 clock: Callable[[], datetime] = utcnow, templates: TemplateSet | None = None) -> None:
        self.db, self.inboxes, self.hub, self.clock = db, inboxes, hub, clock
        self.templates = templates or TemplateSet()

    def run_once(self) -> ReadSummary:
        counts = dict(read=0, rated=0, low=0, reasons=0, opted_out=0, unmatched=0)
        errors = []
        for inbox in self.inboxes:
            key = f"ratings.cursor.{inbox.channel}"
            try:
                batch = inbox.fetch(self.db.get_setting(key), self.clock())
            except Exception as exc:  # one unreachable inbox never stops the other
                log.warning("could not read %s replies: %s", inbox.channel, exc)
                errors.append(str(exc))
                continue
            for message in sorted(batch.messages, key=lambda m: m.received_at):
                outcome = self._handle(message)
                if outcome:
                    counts["read"] += 1
                    counts[outcome] = counts.get(outcome, 0) + 1
                    if outcome == "low":
                        counts["rated"] += 1
            with self.db.transaction() as tx:  # after the messages: a crash in between reads them again, once each
                settings.put(tx, {key: batch.cursor})
        summary = ReadSummary(**{k: v for k, v in counts.items() if k in ReadSummary.__dataclass_fields__},
                              errors=tuple(errors))
        if self.hub and (summary.rated or summary.reasons):
            self.hub.publish("ratings.changed", rated=summary.rated)
        if self.hub and (summary.low or summary.reasons):  # a case opened, or its summary now says why
            self.hub.publish("exceptions.changed", opened=summary.low)
        if self.hub and counts["read"]:
            self.hub.publish("notifications.changed")
        if errors:  # shown as the job's error (what the other inbox gave is recorded all the same)
            raise RuntimeError("; ".join(errors) + f" ({summary.summary()})")
        return summary

    def _handle(self, message: Inbound) -> str | None:
        """One message in one transaction, with its mark as read: the outcome's name, or None if read before."""
        now = self.clock()
        with self.db.transaction() as tx:
            if store.reply_seen(tx, message.provider_id):
                return None
            request = store.last_request(tx, message.channel, message.sender, message.received_at)
            reply = parse_reply(message.body, expecting=request.kind if request else "rating")
            rating_id = None
            if reply.kind == "stop":
                opt_out(tx, message.channel, message.sender, "the customer replied STOP")
                outcome, what = "opted_out", "opted out (STOP)"
            elif reply.kind == "start":
                opt_in(tx, message.channel, message.sender)
                outcome, what = "opted_in", "opted back in (START)"
            elif request is None:
                outcome, what = "unmatched", "no question went to this address in the 48 hours before"
            elif request.kind == "followup":
                outcome, what = self._reason(tx, request, reply.reason, reply.comment, now)
            elif reply.kind != "score":
                outcome, what = "unmatched", "no score 1-5 in the reply"
            else:
                rating_id = store.add_rating(tx, request, reply.score, reply.comment, message.received_at)
                if rating_id is None:
                    outcome, what = "unmatched", "this delivery was rated already"
                else:
                    outcome, what = "rated", f"rated {reply.score}/5"
                    audit.record(tx, "rating.received", "order", request.order_id,
                                 after={"score": reply.score, "channel": message.channel}, actor=ACTOR)
                    if reply.score <= LOW:
                        self._low(tx, request, rating_id, reply.score, reply.comment, now)
                        outcome = "low"
            store.record_reply(tx, message.provider_id, message.channel, message.sender, message.received_at,
                               message.body, what, rating_id)
        return outcome

    def _low(self, tx, request: store.Request, rating_id: int, score: int, comment: str, now: datetime) -> None:
        """One case in the exception queue, and one follow-up question (to a customer who agreed to be asked)."""
        said = f": “{comment[:120]}”" if comment and comment.strip() != str(score) else ""
        finding = Finding("low_rating", Severity.MEDIUM, f"low_rating:{request.shipment_id}",
                          f"The customer rated the delivery {score}/5{said}", "Call the customer and put it right",
                          request.order_id, request.shipment_id)
        case_id = case_store.open_case(tx, finding, to_iso(now))
        store.set_case(tx, rating_id, case_id)
        if case_id is not None:
            audit.record(tx, "exception.opened", "exception", case_id, after={"rating": score}, actor=ACTOR)
        if not may_ask(tx, request.channel, request.recipient):
            return
        for notification_id in enqueue(tx, request.order_id, "rating_followup", dedup_key=f"rating_followup:{rating_id}",
                                       channels=(request.channel,), templates=self.templates):
            store.add_request(tx, request.order_id, request.shipment_id, "followup", notification_id, now)

    def _reason(self, tx, request: store.Request, reason: str, text: str, now: datetime) -> tuple[str, str]:
        if request.shipment_id is None:
            return "unmatched", "the delivery is no longer in the store"
        rating = store.set_reason(tx, request.shipment_id, reason, text)
        if rating is None:
            return "unmatched", "the follow-up was answered already"
        if rating["case_id"] is not None:
            label = REASON_LABELS[reason]
            case_store.restate(tx, [(rating["case_id"], Finding(
                "low_rating", Severity.MEDIUM, f"low_rating:{request.shipment_id}",
                f"The customer rated the delivery {rating['score']}/5. What went wrong: {label} (“{text[:120]}”)", "",
                request.order_id, request.shipment_id))])
            case_store.log_action(tx, rating["case_id"], "customer_replied", f"{label}: {text[:200]}", to_iso(now))
        return "reasons", f"reason: {reason}"
