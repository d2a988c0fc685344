"""EasyPost's JSON -> our Quotes, Bookings, TrackingEvents and typed errors."""
from __future__ import annotations

from datetime import date, datetime, tzinfo

from ...domain import Quote, ShipmentStatus, TrackingEvent
from ..base import BadAddress, Booking, CancelResult, CarrierError, Label, RequestRejected, ServiceUnavailable
from ..http import ErrorInfo
from ..local_time import wall_clock, zone_of_place, zone_of_text
from ..status import map_status
from ..units import decimal_money, parse_estimate, transit_days

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


def booking(shipment: dict, our_reference: str, carrier: str = CODE, local_zone: tzinfo | None = None) -> Booking:
    rate = shipment.get("selected_rate") or {}
    tracker = shipment.get("tracker") or {}
    status = shipment.get("status") or tracker.get("status") or "pre_transit"
    moment, day = delivery_estimate(tracker, local_zone)
    return Booking(
        carrier=carrier, our_reference=shipment.get("reference") or our_reference, external_id=shipment["id"],
        tracking_number=shipment.get("tracking_code") or "",
        service=f"{rate['carrier']}:{rate['service']}" if rate else "",
        cost=decimal_money(rate["rate"], rate.get("currency")) if rate else None,
        status=map_status(STATUS_MAP, status, CODE) if status != "unknown" else S.BOOKED,
        label=label(shipment), tracking_url=tracker.get("public_url") or "",
        estimated_delivery=moment, delivery_day=day, raw_status=status,
    )


def delivery_estimate(tracker: dict, local_zone: tzinfo | None = None) -> tuple[datetime | None, date | None]:
    """The tracker's delivery estimate as (moment, None) or (None, day). A time of day in `est_delivery_date` is the
    clock where the parcel arrives, though labelled "Z" (a FedEx First Overnight 08:30 is 08:30 there, not 00:30 in
    Los Angeles): read in the zone of `carrier_detail.destination_location`, else `local_zone` (the shop's); the
    carrier_detail's `est_delivery_date_local` / `est_delivery_time_local` say it outright when present."""
    detail = tracker.get("carrier_detail") or {}
    zone = zone_of_text(detail.get("destination_location")) or local_zone
    local_day, local_time = detail.get("est_delivery_date_local"), detail.get("est_delivery_time_local")
    if local_day and local_time and zone is not None:
        return wall_clock(f"{local_day}T{local_time}", zone), None
    if local_day and not local_time:
        return parse_estimate(str(local_day)[:10])
    moment, day = parse_estimate(tracker.get("est_delivery_date"))
    if moment is not None:
        moment = wall_clock(tracker.get("est_delivery_date"), zone)
    return moment, day


def tracking_events(shipment: dict, carrier: str = CODE) -> list[TrackingEvent]:
    """Each tracking detail as an event. Its `datetime` is the clock at its `tracking_location` when that names a
    state or country (EasyPost gives it in that place's zone, still labelled "Z"), and UTC when the location is
    empty (as EasyPost documents); an explicit non-zero offset is trusted."""
    tracker = shipment.get("tracker") or {}
    tracking_number = shipment.get("tracking_code") or tracker.get("tracking_code") or ""
    events = []
    for detail in tracker.get("tracking_details") or []:
        where = detail.get("tracking_location") or {}
        place = ", ".join(str(where[k]) for k in ("city", "state", "zip", "country") if where.get(k))
        when = wall_clock(detail["datetime"], zone_of_place(where.get("state"), where.get("country")))
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
