"""EasyPost's JSON -> our Quotes, Bookings, TrackingEvents and typed errors."""
from __future__ import annotations

from ...domain import Quote, ShipmentStatus, TrackingEvent
from ..base import BadAddress, Booking, CancelResult, CarrierError, Label, RequestRejected, ServiceUnavailable
from ..http import ErrorInfo
from ..status import map_status
from ..units import decimal_money, parse_estimate, parse_time, transit_days

CODE = "easypost"
S = ShipmentStatus

# Tracker.status (Shipment.status uses the same set): EasyPost's full documented vocabulary.
STATUS_MAP: dict[str, ShipmentStatus] = {
    "pre_transit": S.BOOKED,  # label made, not yet scanned by the carrier
    "in_transit": S.IN_TRANSIT,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "delivered": S.DELIVERED,
    # Waiting at a carrier location: the customer has to act (fetch it or rebook), like a missed delivery.
    "available_for_pickup": S.FAILED_ATTEMPT,
    "return_to_sender": S.RETURNING,
    "failure": S.EXCEPTION,
    "cancelled": S.CANCELLED,
    # No information yet: kept as history, never moves a shipment (BOOKED cannot follow a moving status).
    "unknown": S.BOOKED,
    "error": S.EXCEPTION,
}

# Tracker status_detail: refines the status where it says more than the status does; None = use the status.
STATUS_DETAIL_MAP: dict[str, ShipmentStatus | None] = {
    "address_correction": S.EXCEPTION, "arrived_at_destination": None, "arrived_at_facility": None,
    "arrived_at_pickup_location": S.FAILED_ATTEMPT, "awaiting_information": S.EXCEPTION, "cancelled": S.CANCELLED,
    "damaged": S.EXCEPTION, "delayed": None, "delivery_exception": S.EXCEPTION, "departed_facility": None,
    "departed_origin_facility": None, "expired": S.EXCEPTION, "failure": S.EXCEPTION, "held": S.EXCEPTION,
    "in_transit": None, "label_created": None, "lost": S.EXCEPTION, "missorted": None,
    "out_for_delivery": None, "received_at_destination_facility": None, "received_at_origin_facility": S.PICKED_UP,
    "refused": S.RETURNING, "return": S.RETURNING, "status_update": None,
    "transferred_to_destination_carrier": None, "transit_exception": S.EXCEPTION, "unknown": None,
    "weather_delay": None,
}

ALREADY_BOUGHT = "SHIPMENT.POSTAGE.EXISTS"  # buying a shipment that has a label: answer with that label
# Refund.status: submitted is only a request (the carrier decides within days); refunded and rejected are final.
REFUND_PENDING = {"submitted"}
REFUND_STATUSES = {"submitted": True, "refunded": True, "rejected": False}
PARAMETER_CODES = ("PARAMETER.", "INVALID_PARAMETER")  # how we asked was wrong: say which field


def error_info(body) -> ErrorInfo:
    """{"error": {"code": "ADDRESS.VERIFY.FAILURE", "message": ..., "errors": [...]}}"""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ErrorInfo(str(body)[:500] if body else "")
    details, fields = [], []
    for item in error.get("errors") or []:
        if isinstance(item, dict):
            field, text = str(item.get("field") or ""), str(item.get("message") or "")
            fields += [field] if field else []
            details.append(f"{field}: {text}" if field else text)
        else:
            details.append(str(item))
    message = str(error.get("message", ""))
    detail = "; ".join(d for d in details if d)
    if detail:
        message = f"{message} ({detail})"
    return ErrorInfo(message, str(error.get("code", "")), fields=tuple(fields), detail=detail)


def classify(status: int, info: ErrorInfo) -> type[CarrierError] | None:
    code = info.code.upper()
    if code.startswith("ADDRESS.") or ".ADDRESS" in code:
        return BadAddress
    if status == 402:
        return RequestRejected  # billing: the account needs funds
    if code.startswith(PARAMETER_CODES):
        return RequestRejected
    if code.startswith("SHIPMENT.RATE") or code.startswith("SHIPMENT.POSTAGE") or code.startswith("RATE."):
        return ServiceUnavailable
    return None


def event_status(status: str, detail: str) -> ShipmentStatus:
    refined = STATUS_DETAIL_MAP.get(detail or "")
    return refined if refined is not None else map_status(STATUS_MAP, status, CODE)


def quotes(shipment: dict, carrier: str = CODE) -> list[Quote]:
    shipment_id = shipment["id"]
    result = []
    for rate in shipment.get("rates") or []:
        moment, day = parse_estimate(rate.get("delivery_date"))
        result.append(Quote(
            carrier=carrier, service=f"{rate['carrier']}:{rate['service']}",
            price=decimal_money(rate["rate"], rate.get("currency")),
            estimated_delivery=moment, delivery_day=day,
            external_id=f"{shipment_id}/{rate['id']}",
            transit_days=transit_days(rate.get("delivery_days"), rate.get("est_delivery_days")),
        ))
    return sorted(result, key=lambda q: q.price.amount_minor)


def rate_problem(shipment: dict) -> str:
    """The carriers' own messages when a shipment got no usable rates."""
    return "; ".join(f"{m.get('carrier', '')}: {m.get('message', '')}" for m in shipment.get("messages") or [])


def is_purchased(shipment: dict) -> bool:
    return bool(shipment.get("tracking_code") or shipment.get("selected_rate"))


def label(shipment: dict) -> Label | None:
    postage = shipment.get("postage_label") or {}
    url = postage.get("label_pdf_url") or postage.get("label_url") or ""
    if not url:
        return None
    return Label(format=str(postage.get("label_file_type") or "PDF").split("/")[-1].upper(), url=url)


def booking(shipment: dict, our_reference: str, carrier: str = CODE) -> Booking:
    rate = shipment.get("selected_rate") or {}
    tracker = shipment.get("tracker") or {}
    status = shipment.get("status") or tracker.get("status") or "pre_transit"
    moment, day = parse_estimate(tracker.get("est_delivery_date"))
    return Booking(
        carrier=carrier, our_reference=shipment.get("reference") or our_reference, external_id=shipment["id"],
        tracking_number=shipment.get("tracking_code") or "",
        service=f"{rate['carrier']}:{rate['service']}" if rate else "",
        cost=decimal_money(rate["rate"], rate.get("currency")) if rate else None,
        status=map_status(STATUS_MAP, status, CODE) if status != "unknown" else S.BOOKED,
        label=label(shipment), tracking_url=tracker.get("public_url") or "",
        estimated_delivery=moment, delivery_day=day, raw_status=status,
    )


def tracking_events(shipment: dict, carrier: str = CODE) -> list[TrackingEvent]:
    tracker = shipment.get("tracker") or {}
    tracking_number = shipment.get("tracking_code") or tracker.get("tracking_code") or ""
    events = []
    for detail in tracker.get("tracking_details") or []:
        where = detail.get("tracking_location") or {}
        place = ", ".join(str(where[k]) for k in ("city", "state", "zip", "country") if where.get(k))
        when = parse_time(detail["datetime"])
        if when is None:
            raise ValueError(f"tracking detail without a time: {detail!r}")
        raw_code = detail.get("status") or ""
        events.append(TrackingEvent(
            carrier=carrier, tracking_number=tracking_number, status=event_status(raw_code, detail.get("status_detail", "")),
            event_time=when, raw_code=f"{raw_code}/{detail.get('status_detail') or ''}".rstrip("/"),
            raw_text=detail.get("message") or "", location=place,
        ))
    return events


def cancel_result(shipment: dict) -> CancelResult:
    refund = shipment.get("refund_status") or ""
    accepted = REFUND_STATUSES.get(refund, False)
    pending = refund in REFUND_PENDING
    return CancelResult(
        external_id=shipment["id"], cancelled=accepted, raw_status=refund, final=not pending,
        status=S.CANCELLED if accepted else map_status(STATUS_MAP, shipment.get("status") or "unknown", CODE),
        message=("Refund requested; the carrier confirms within days." if pending else
                 "EasyPost refunded the label." if accepted else f"EasyPost refund {refund or 'failed'}"),
    )
