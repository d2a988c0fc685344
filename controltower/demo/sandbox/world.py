"""The simulated courier world: quotes, deliveries moving along their way, failures, returns, and the record of bookings."""
from __future__ import annotations

import hashlib
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ...domain.geo import haversine_km
from ...domain.timeutil import UTC
from .clock import SimClock
from .couriers import COMPANIES, CourierCompany

CITY_CENTRE = (40.7306, -73.9866)  # where addresses without coordinates are placed (when the shop has none either)
QUOTE_LIFETIME = timedelta(minutes=15)
KEY_LIFETIME = timedelta(minutes=60)  # Uber Direct keeps idempotency keys an hour
FINISHED = ("canceled", "delivered", "returned")  # no longer "an active delivery like this"
CANCELLABLE = {"pending", "pickup"}
COVERAGE_KM = 40  # a dropoff farther from the pickup than this is outside every company's area


class SandboxError(Exception):
    """An error the sandbox answers with, in Uber Direct's shape {code, message, kind, metadata}."""

    def __init__(self, http_status: int, code: str, message: str, metadata: dict | None = None) -> None:
        super().__init__(message)
        self.http_status, self.code, self.message, self.metadata = http_status, code, message, metadata or {}

    def body(self) -> dict:
        body = {"code": self.code, "message": self.message, "kind": "error"}
        if self.metadata:
            body["metadata"] = self.metadata
        return body


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _position(payload: dict, prefix: str) -> tuple[float, float]:
    lat, lng = payload.get(f"{prefix}_latitude"), payload.get(f"{prefix}_longitude")
    if isinstance(lat, (int, float)) and isinstance(lng, (int, float)):
        return float(lat), float(lng)
    # No coordinates: a stable spot within ~5 km of the shop (or the centre), derived from the address text.
    centre = _position(payload, "pickup") if prefix == "dropoff" else CITY_CENTRE
    digest = hashlib.sha256(str(payload.get(f"{prefix}_address", "")).encode()).digest()
    return (centre[0] + (digest[0] / 255 - 0.5) * 0.09, centre[1] + (digest[1] / 255 - 0.5) * 0.12)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return haversine_km(a[0], a[1], b[0], b[1])


def _lerp(a: tuple[float, float], b: tuple[float, float], share: float) -> tuple[float, float]:
    share = min(max(share, 0.0), 1.0)
    return (round(a[0] + (b[0] - a[0]) * share, 6), round(a[1] + (b[1] - a[1]) * share, 6))


@dataclass
class SimDelivery:
    """One delivery and its whole planned life; what a poll sees depends on the clock."""

    id: str
    company: CourierCompany
    created_at: datetime
    pickup: tuple[float, float]
    dropoff: tuple[float, float]
    request: dict
    fee: int
    phases: list[tuple[datetime, str]]           # (from when, Uber status), in time order
    nominal_dropoff: datetime                    # the ETA promised at booking
    actual_dropoff: datetime
    failure_at: datetime | None = None           # a failed dropoff attempt happens then
    courier_name: str = ""
    related: list[dict] = field(default_factory=list)
    return_of: str = ""
    currency: str = "USD"  # the couriers' money where the shop is (Uber Direct quotes in the local currency)

    @property
    def undeliverable_action(self) -> str:
        return self.request.get("undeliverable_action") or "return"

    def phase_at(self, now: datetime) -> tuple[datetime, str]:
        current = self.phases[0]
        for phase in self.phases:
            if phase[0] <= now:
                current = phase
        return current

    def cancel(self, now: datetime) -> None:
        since, status = self.phase_at(now)
        if status not in CANCELLABLE:
            raise SandboxError(400, "noncancelable_delivery", f"Delivery is {status} and can no longer be cancelled.")
        self.phases = [p for p in self.phases if p[0] <= now] + [(now, "canceled")]

    def courier_position(self, now: datetime) -> tuple[float, float]:
        pickup_arrival = self._time_of("pickup_complete") - timedelta(minutes=2)
        start = _lerp(self.pickup, (self.pickup[0] + 0.015, self.pickup[1] - 0.015), 1.0)
        assigned = self._time_of("pickup")
        if now <= pickup_arrival:
            total = (pickup_arrival - assigned).total_seconds() or 1
            return _lerp(start, self.pickup, (now - assigned).total_seconds() / total)
        leaving = self._time_of("pickup_complete")
        if now <= leaving:
            return self.pickup
        total = (self.actual_dropoff - leaving).total_seconds() or 1
        return _lerp(self.pickup, self.dropoff, (now - leaving).total_seconds() / total)

    def _time_of(self, status: str) -> datetime:
        for moment, phase in self.phases:
            if phase == status:
                return moment
        return self.created_at

    def to_json(self, now: datetime, customer: str) -> dict:
        """The delivery object as Uber Direct's GET /deliveries/{id} returns it at time `now`."""
        now = max(now, self.created_at)
        updated, status = self.phase_at(now)
        leaving = self._time_of("pickup_complete")
        dropoff_eta = self.actual_dropoff if now >= leaving else self.nominal_dropoff
        pickup_arrival = leaving - timedelta(minutes=2)
        imminent = (status == "pickup" and pickup_arrival - now <= timedelta(minutes=1)) or (
            status == "dropoff" and dropoff_eta - now <= timedelta(minutes=1))
        body = {
            "id": self.id, "quote_id": self.request.get("quote_id", ""), "external_id": self.request.get("external_id", ""),
            "manifest_reference": self.request.get("manifest_reference", ""), "status": status,
            "complete": status in ("delivered", "canceled", "returned"), "kind": "delivery", "live_mode": False,
            "created": rfc3339(self.created_at), "updated": rfc3339(updated),
            "pickup_eta": rfc3339(pickup_arrival), "dropoff_eta": rfc3339(dropoff_eta),
            "pickup_deadline": rfc3339(pickup_arrival + timedelta(minutes=30)),
            "dropoff_deadline": rfc3339(self.nominal_dropoff + timedelta(minutes=30)),
            "fee": self.fee, "currency": self.currency.lower(), "tip": int(self.request.get("tip") or 0),
            "courier_imminent": imminent,
            "tracking_url": f"https://sandbox.invalid/track/{self.id}",
            "pickup": {"name": self.request.get("pickup_name", ""), "address": self.request.get("pickup_address", ""),
                       "location": {"lat": self.pickup[0], "lng": self.pickup[1]}},
            "dropoff": {"name": self.request.get("dropoff_name", ""), "address": self.request.get("dropoff_address", ""),
                        "location": {"lat": self.dropoff[0], "lng": self.dropoff[1]}, "verification": {}},
            "manifest_items": self.request.get("manifest_items", []),
            "related_deliveries": list(self.related),
            "undeliverable_action": "", "undeliverable_reason": "",
        }
        if status not in ("pending", "canceled"):
            lat, lng = self.courier_position(now)
            body["courier"] = {"name": self.courier_name, "vehicle_type": self.company.vehicle_type,
                               "phone_number": "+1555***0100", "location": {"lat": lat, "lng": lng}}
        if self.failure_at is not None and now >= self.failure_at:
            body["undeliverable_reason"] = "customer_unavailable"
            body["undeliverable_action"] = "returned" if status == "returned" else "left_at_door"
        if status == "delivered":
            body["dropoff"]["verification"] = {"picture": {"image_url": f"https://sandbox.invalid/pod/{self.id}.jpg"}}
        return body


class World:
    """All sandbox state; every method is thread-safe (the HTTP server runs a thread per request)."""

    def __init__(self, clock: SimClock | None = None, seed: int = 7,
                 companies: dict[str, CourierCompany] | None = None, currency: str = "USD") -> None:
        self.clock = clock or SimClock()
        self.currency = currency.upper()
        self.companies = dict(companies or COMPANIES)
        self._lock = threading.RLock()
        self._random = random.Random(seed)
        self._seed = seed
        self._deliveries: dict[str, SimDelivery] = {}
        self._customer_of: dict[str, str] = {}
        self._by_key: dict[tuple[str, str], tuple[str, datetime]] = {}  # -> (delivery id, when the key was first used)
        self._by_reference: dict[tuple[str, str, str], str] = {}  # (customer, manifest_reference, external_id)
        self._quotes: dict[str, dict] = {}
        self._bookings: list[dict] = []

    def company(self, customer: str) -> CourierCompany:
        company = self.companies.get(customer)
        if company is None:
            raise SandboxError(404, "customer_not_found", f"No customer {customer!r} in the sandbox; use one of {sorted(self.companies)}.")
        return company

    # --- quotes -------------------------------------------------------------------------
    def quote(self, customer: str, payload: dict) -> dict:
        company = self.company(customer)
        pickup, dropoff = _covered(payload)
        km = distance_km(pickup, dropoff)
        travel = km / company.speed_kmh * 60
        now = self.clock.now()
        quote_id = "dqt_" + uuid.uuid4().hex
        quote = {
            "kind": "delivery_quote", "id": quote_id, "created": rfc3339(now), "expires": rfc3339(now + QUOTE_LIFETIME),
            "fee": company.base_fee_cents + round(km * company.per_km_cents), "currency": self.currency.lower(), "currency_type": self.currency,
            "dropoff_eta": rfc3339(now + timedelta(minutes=company.pickup_minutes + 2 + travel)),
            "duration": round(company.pickup_minutes + 2 + travel), "pickup_duration": round(company.pickup_minutes),
            "external_id": payload.get("external_id", ""),
        }
        with self._lock:
            self._quotes[quote_id] = {**quote, "customer": customer, "expires_at": now + QUOTE_LIFETIME}
        return quote

    # --- deliveries ---------------------------------------------------------------------
    def create_delivery(self, customer: str, payload: dict) -> dict:
        """Book a delivery; the same idempotency key returns the first booking instead of making a second."""
        company = self.company(customer)
        _require(payload, ("pickup_name", "pickup_address", "pickup_phone_number", "dropoff_name", "dropoff_address",
                           "dropoff_phone_number", "manifest_items"))
        key = str(payload.get("idempotency_key") or "")
        with self._lock:
            now = self.clock.now()
            remembered = self._by_key.get((customer, key)) if key else None
            if remembered and now - remembered[1] < KEY_LIFETIME:
                return self._deliveries[remembered[0]].to_json(now, customer)
            reference = (customer, str(payload.get("manifest_reference") or ""), str(payload.get("external_id") or ""))
            existing = self._deliveries.get(self._by_reference.get(reference, ""))
            if any(reference[1:]) and existing is not None and existing.phase_at(now)[1] not in FINISHED:
                raise SandboxError(409, "duplicate_delivery", "An active delivery like this already exists.",
                                   {"delivery_id": existing.id})
            _covered(payload)
            fee = self._fee_for(customer, company, payload, now)
            delivery = self._plan(company, payload, now, fee)
            self._deliveries[delivery.id] = delivery
            self._customer_of[delivery.id] = customer
            if key:
                self._by_key[(customer, key)] = (delivery.id, now)
            self._by_reference[reference] = delivery.id
            self._bookings.append({"id": delivery.id, "customer": customer, "idempotency_key": key,
                                   "external_id": payload.get("external_id", ""),
                                   "manifest_reference": payload.get("manifest_reference", ""),
                                   "pickup_phone_number": payload.get("pickup_phone_number", ""),
                                   "fee": fee, "created": rfc3339(now)})
            return delivery.to_json(now, customer)

    def _fee_for(self, customer: str, company: CourierCompany, payload: dict, now: datetime) -> int:
        quote_id = payload.get("quote_id")
        if quote_id:
            quote = self._quotes.get(quote_id)
            if quote is None or quote["customer"] != customer:
                raise SandboxError(400, "invalid_params", f"Unknown quote_id {quote_id!r}.")
            if now >= quote["expires_at"]:
                raise SandboxError(400, "expired_quote", "The quote has expired; request a new one.")
            if quote.get("used"):
                raise SandboxError(400, "used_quote", "The quote was already used for another delivery.")
            quote["used"] = True
            return quote["fee"]
        km = distance_km(_position(payload, "pickup"), _position(payload, "dropoff"))
        return company.base_fee_cents + round(km * company.per_km_cents)

    def _plan(self, company: CourierCompany, payload: dict, now: datetime, fee: int, return_of: str = "") -> SimDelivery:
        delivery_id = "del_" + uuid.uuid4().hex[:22]
        rng = random.Random(f"{self._seed}:{delivery_id}")
        pickup, dropoff = _position(payload, "pickup"), _position(payload, "dropoff")
        travel = timedelta(minutes=max(distance_km(pickup, dropoff) / company.speed_kmh * 60, 3) * rng.uniform(0.9, 1.2))
        if return_of:  # a return starts with the courier already holding the goods
            phases = [(now, "pickup_complete"), (now + timedelta(minutes=1), "dropoff")]
            leaving = now
        else:
            assigned = now + timedelta(minutes=rng.uniform(0.5, 2.0))
            arrival = assigned + timedelta(minutes=company.pickup_minutes * rng.uniform(0.7, 1.3))
            leaving = arrival + timedelta(minutes=2)
            phases = [(now, "pending"), (assigned, "pickup"), (leaving, "pickup_complete"),
                      (leaving + timedelta(seconds=30), "dropoff")]
        nominal = leaving + travel
        delay = timedelta(minutes=rng.uniform(10, 35)) if rng.random() < company.delay_rate else timedelta(0)
        actual = nominal + delay
        fails = not return_of and rng.random() < company.failure_rate
        failure_at = actual + timedelta(minutes=3) if fails else None
        delivery = SimDelivery(delivery_id, company, now, pickup, dropoff, payload, fee, phases, nominal, actual,
                               failure_at, courier_name=rng.choice(["Ana", "Ben", "Chi", "Dev", "Eli", "Fay", "Gus"]),
                               return_of=return_of, currency=self.currency)
        if fails and delivery.undeliverable_action == "return":
            delivery.phases.append((failure_at, "returned"))
        else:
            delivery.phases.append((failure_at or actual, "delivered"))
        return delivery

    def _materialise_return(self, delivery: SimDelivery, now: datetime) -> None:
        """Create the return delivery of a failed dropoff once its moment has come (looked at when asked about)."""
        if delivery.related or delivery.return_of or delivery.phase_at(now)[1] != "returned":
            return
        back = dict(delivery.request, pickup_address=delivery.request.get("dropoff_address", ""),
                    dropoff_address=delivery.request.get("pickup_address", ""),
                    pickup_latitude=delivery.dropoff[0], pickup_longitude=delivery.dropoff[1],
                    dropoff_latitude=delivery.pickup[0], dropoff_longitude=delivery.pickup[1],
                    idempotency_key="", undeliverable_action="")
        returned = self._plan(delivery.company, back, delivery.failure_at, round(delivery.fee * 0.6), return_of=delivery.id)
        self._deliveries[returned.id] = returned
        self._customer_of[returned.id] = self._customer_of[delivery.id]
        delivery.related.append({"id": returned.id, "relationship": "return"})
        returned.related.append({"id": delivery.id, "relationship": "original"})

    def get(self, customer: str, delivery_id: str, *, stale_by: timedelta = timedelta(0)) -> dict:
        self.company(customer)
        with self._lock:
            now = self.clock.now()
            delivery = self._deliveries.get(delivery_id)
            if delivery is None or self._customer_of[delivery_id] != customer:
                raise SandboxError(404, "delivery_not_found", f"No delivery {delivery_id!r}.")
            self._materialise_return(delivery, now)
            return delivery.to_json(now - stale_by, customer)

    def cancel(self, customer: str, delivery_id: str) -> dict:
        self.company(customer)
        with self._lock:
            now = self.clock.now()
            delivery = self._deliveries.get(delivery_id)
            if delivery is None or self._customer_of[delivery_id] != customer:
                raise SandboxError(404, "delivery_not_found", f"No delivery {delivery_id!r}.")
            delivery.cancel(now)
            return delivery.to_json(now, customer)

    def list(self, customer: str, status_filter: str = "", limit: int = 100, offset: int = 0) -> list[dict]:
        self.company(customer)
        with self._lock:
            now = self.clock.now()
            for delivery in list(self._deliveries.values()):
                self._materialise_return(delivery, now)
            items = [d.to_json(now, customer) for d_id, d in self._deliveries.items() if self._customer_of[d_id] == customer]
        if status_filter == "ongoing":
            items = [d for d in items if not d["complete"]]
        elif status_filter:
            items = [d for d in items if d["status"] == status_filter]
        return items[offset:offset + limit]

    def proof_of_delivery(self, customer: str, delivery_id: str) -> dict:
        body = self.get(customer, delivery_id)
        if body["status"] != "delivered":
            raise SandboxError(400, "invalid_params", "Proof of delivery exists only for delivered deliveries.")
        return {"document": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}

    def seed(self, customer: str, count: int, centre: tuple[float, float] = CITY_CENTRE) -> list[str]:
        """Book `count` deliveries at once (benchmarks that need thousands of open shipments)."""
        rng = random.Random(f"{self._seed}:seed:{customer}:{count}")
        ids = []
        for n in range(count):
            payload = {"pickup_name": "Seed Shop", "pickup_address": "1 Seed St", "pickup_phone_number": "+15555550100",
                       "dropoff_name": f"Seed {n}", "dropoff_address": f"{n} Seed Ave", "dropoff_phone_number": "+15555550101",
                       "manifest_items": [{"name": "Parcel", "quantity": 1, "size": "small"}],
                       "pickup_latitude": centre[0], "pickup_longitude": centre[1],
                       "dropoff_latitude": centre[0] + rng.uniform(-0.05, 0.05), "dropoff_longitude": centre[1] + rng.uniform(-0.06, 0.06),
                       "external_id": f"seed-{customer}-{n}-{uuid.uuid4().hex[:6]}"}
            ids.append(self.create_delivery(customer, payload)["id"])
        return ids

    # --- the sandbox's own record, for benchmarks and tests ------------------------------
    def bookings(self) -> list[dict]:
        with self._lock:
            return [dict(b) for b in self._bookings]

    def courier_positions(self) -> list[dict]:
        """Every courier on the road now, for a demo map."""
        with self._lock:
            now = self.clock.now()
            out = []
            for delivery in self._deliveries.values():
                body = delivery.to_json(now, self._customer_of[delivery.id])
                if "courier" in body and not body["complete"]:
                    out.append({"delivery_id": delivery.id, "company": delivery.company.name, "status": body["status"],
                                **body["courier"]["location"]})
            return out


def _covered(payload: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    pickup, dropoff = _position(payload, "pickup"), _position(payload, "dropoff")
    if distance_km(pickup, dropoff) > COVERAGE_KM:
        raise SandboxError(400, "address_undeliverable", "The address is outside our delivery area.")
    return pickup, dropoff


def _require(payload: dict, fields: tuple[str, ...]) -> None:
    missing = [name for name in fields if not payload.get(name)]
    if missing:
        raise SandboxError(400, "invalid_params", "Missing required fields: " + ", ".join(missing),
                           {"fields": {name: "required" for name in missing}})

