"""Shippo's JSON -> our Quotes, Bookings, TrackingEvents and typed errors."""
from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo

from ...domain import Quote, ShipmentStatus, TrackingEvent
from ..base import BadAddress, Booking, CancelResult, CarrierError, Label, RateLimited, RequestRejected, ServiceUnavailable
from ..http import ErrorInfo
from ..local_time import wall_clock, zone_of_place
from ..status import map_status
from ..units import decimal_money, parse_estimate, parse_time, time_of_day, transit_days
from .requests import booking_ref, carrier_token

CODE = "shippo"
S = ShipmentStatus

# tracking_status.status: Shippo's full documented vocabulary.
STATUS_MAP: dict[str, ShipmentStatus] = {
    "PRE_TRANSIT": S.BOOKED,  # label created, not yet with the carrier
    "TRANSIT": S.IN_TRANSIT,
    "DELIVERED": S.DELIVERED,
    "RETURNED": S.RETURNING,  # "returning or returned to sender": Shippo does not say which
    "FAILURE": S.EXCEPTION,  # a delivery problem the carrier reported
    "UNKNOWN": S.BOOKED,  # not found at the carrier yet: history only
}

# substatus.code refines the status where it says more; None = use the status.
SUBSTATUS_MAP: dict[str, ShipmentStatus | None] = {
    "information_received": None, "address_issue": S.EXCEPTION, "contact_carrier": S.EXCEPTION, "delayed": None,
    "delivery_attempted": S.FAILED_ATTEMPT, "delivery_rescheduled": S.FAILED_ATTEMPT, "delivery_scheduled": None,
    "location_inaccessible": S.FAILED_ATTEMPT, "notice_left": S.FAILED_ATTEMPT, "out_for_delivery": S.OUT_FOR_DELIVERY,
    "package_accepted": S.PICKED_UP, "package_arrived": None, "package_damaged": S.EXCEPTION,
    "package_departed": None, "package_disposed": S.EXCEPTION, "package_forwarded": None, "package_held": S.EXCEPTION,
    "package_lost": S.EXCEPTION, "package_processed": None, "package_processing": None,
    "package_unclaimed": S.RETURNING, "package_undeliverable": S.EXCEPTION, "pickup_available": S.FAILED_ATTEMPT,
    "reschedule_delivery": S.FAILED_ATTEMPT, "delivered": None, "return_to_sender": S.RETURNING, "other": None,
}

# Transaction.status: WAITING/QUEUED still working; SUCCESS bought; the rest failed or refunded.
TRANSACTION_PENDING = {"WAITING", "QUEUED"}
REFUND_STATUSES = {"QUEUED": True, "PENDING": True, "SUCCESS": True, "ERROR": False}
REFUND_PENDING = {"QUEUED", "PENDING"}
# Transaction.status once a refund was asked: REFUNDPENDING still open; REFUNDED / REFUNDREJECTED final.
TRANSACTION_REFUND = {"REFUNDPENDING": (True, False), "REFUNDED": (True, True), "REFUNDREJECTED": (False, True)}
ADDRESS_KEYS = frozenset({"address_from", "address_to", "address_return"})


def error_info(body) -> ErrorInfo:
    """Shippo errors come as {"detail": ...}, {"field": ["msg"]} or {"messages": [{text}]}.

    In the per-field form the keys are the request fields at fault (`fields`), whatever their text says.
    """
    if isinstance(body, dict):
        if body.get("detail"):
            return ErrorInfo(str(body["detail"]))
        if body.get("messages"):
            return ErrorInfo(messages_text(body), str((body["messages"][0] or {}).get("code", "")))
        parts = [f"{k}: {_flatten(v)}" for k, v in body.items()]
        return ErrorInfo("; ".join(parts)[:500], fields=tuple(map(str, body)), detail="; ".join(parts)[:500])
    return ErrorInfo(str(body)[:500] if body else "")


def _flatten(value) -> str:
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    return str(value)


def messages_text(body: dict) -> str:
    return "; ".join(str(m.get("text", "")) for m in body.get("messages") or [] if isinstance(m, dict))


def classify(status: int, info: ErrorInfo) -> type[CarrierError] | None:
    if status == 409:
        return RateLimited  # Shippo's 409 is a conflict "e.g. too many concurrent calls": wait and retry
    if status in (400, 422) and info.fields:  # per-field errors: an address only when an address field is at fault
        return BadAddress if ADDRESS_KEYS & set(info.fields) else RequestRejected
    if status in (400, 422) and "address" in (info.code + " " + info.message).lower():
        return BadAddress
    return None


def failed_purchase_error(body: dict) -> CarrierError:
    text = messages_text(body) or "Shippo could not buy the label"
    cls = BadAddress if "address" in text.lower() else ServiceUnavailable
    return cls(CODE, f"Shippo could not buy the label: {text}", carrier_message=text)


def event_status(status: str, substatus: str) -> ShipmentStatus:
    refined = SUBSTATUS_MAP.get(substatus or "")
    return refined if refined is not None else map_status(STATUS_MAP, status, CODE)


def quotes(shipment: dict, carrier: str = CODE) -> list[Quote]:
    result = []
    for rate in shipment.get("rates") or []:
        level = rate.get("servicelevel") or {}
        result.append(Quote(
            carrier=carrier, service=f"{rate['provider']}:{level.get('token') or level.get('name', '')}",
            price=decimal_money(rate["amount"], rate.get("currency")),
            external_id=rate["object_id"],
            transit_days=transit_days(rate.get("estimated_days"), rate.get("days"), rate.get("duration_terms")),
            arrives_by=time_of_day(rate.get("arrives_by")),
        ))
    return sorted(result, key=lambda q: q.price.amount_minor)


def booking(transaction: dict, rate: dict, our_reference: str, carrier: str = CODE) -> Booking:
    token = carrier_token(rate["provider"])
    level = rate.get("servicelevel") or {}
    moment, day = parse_estimate(transaction.get("eta"))
    return Booking(
        carrier=carrier, our_reference=transaction.get("metadata") or our_reference,
        external_id=booking_ref(transaction["object_id"], token, transaction["tracking_number"]),
        tracking_number=transaction["tracking_number"],
        service=f"{rate['provider']}:{level.get('token') or level.get('name', '')}",
        cost=decimal_money(rate["amount"], rate.get("currency")),
        label=Label("PDF", transaction.get("label_url") or "") if transaction.get("label_url") else None,
        tracking_url=transaction.get("tracking_url_provider") or "",
        estimated_delivery=moment, delivery_day=day, raw_status=transaction.get("status", ""),
    )


def tracking_events(track: dict, carrier: str = CODE, local_zone: tzinfo | None = None) -> list[TrackingEvent]:
    """Each status as an event. A `status_date` is the clock where the scan happened, though labelled "Z": read
    in the zone of the entry's `location` (its state or country), else in `local_zone` (the shop's: a local
    delivery's scans are near the shop), else as UTC. `object_created` / `object_updated` are Shippo's own UTC
    record times, not the scan's."""
    tracking_number = track.get("tracking_number") or ""
    history = list(track.get("tracking_history") or [])
    current = track.get("tracking_status")
    # The current status repeats the latest history entry under an id of its own: the same scan is the
    # same status at the same time, whatever its object_id.
    if current and not any(h.get("object_id") == current.get("object_id") or _same_scan(h, current) for h in history):
        history.append(current)
    events = []
    for entry in history:
        where = entry.get("location") or {}
        when = wall_clock(entry.get("status_date"), zone_of_place(where.get("state"), where.get("country")) or local_zone)
        if when is None:
            raise ValueError(f"tracking entry without a date: {entry!r}")
        substatus = (entry.get("substatus") or {}).get("code") or ""
        status = entry["status"]
        events.append(TrackingEvent(
            carrier=carrier, tracking_number=tracking_number, status=event_status(status, substatus), event_time=when,
            raw_code=f"{status}/{substatus}".rstrip("/"), raw_text=entry.get("status_details") or "",
            carrier_event_id=entry.get("object_id") or "",
            location=", ".join(str(where[k]) for k in ("city", "state", "zip", "country") if where.get(k)),
        ))
    eta, eta_day = parse_estimate(track.get("eta"))
    if events and (eta or eta_day):  # the track's current estimate rides on its newest event
        newest = max(range(len(events)), key=lambda i: events[i].event_time)
        events[newest] = replace(events[newest], eta=eta, eta_day=eta_day)
    return events


def _same_scan(a: dict, b: dict) -> bool:
    return (a.get("status"), parse_time(a.get("status_date")), (a.get("substatus") or {}).get("code")) == \
           (b.get("status"), parse_time(b.get("status_date")), (b.get("substatus") or {}).get("code"))


def cancel_result(ref: str, refund: dict) -> CancelResult:
    status = refund.get("status", "")
    accepted = REFUND_STATUSES.get(status, False)
    return CancelResult(external_id=ref, cancelled=accepted, raw_status=status, final=status not in REFUND_PENDING,
                        status=S.CANCELLED if accepted else S.BOOKED,
                        message="Refund requested from Shippo." if accepted else f"Shippo refused the refund ({status})")


def refund_result(ref: str, transaction: dict) -> CancelResult:
    """Where a label refund stands, read from its transaction (SUCCESS: Shippo has not started it yet)."""
    status = transaction.get("status", "")
    accepted, final = TRANSACTION_REFUND.get(status, (True, False))
    return CancelResult(external_id=ref, cancelled=accepted, raw_status=status, final=final,
                        status=S.CANCELLED if accepted else S.BOOKED,
                        message="Shippo refunded the label." if final and accepted else
                        f"Shippo refused the refund ({status})" if not accepted else "Refund requested from Shippo.")
