"""The dispatch use cases the UI and CLI call: options, comparison with a recommendation, dispatching the day, returns."""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..carriers.base import CarrierAdapter
from ..domain import Address, CarrierKind, DeliveryOption, GeoPoint, Order
from ..domain.money import exponent
from ..domain.timeutil import to_iso, utcnow
from ..kernel.errors import NotFound
from ..kernel.events import EventHub
from ..store import audit, carrier_accounts
from ..store.orders import get_order, set_repeat_rule, upsert_orders
from . import labels, returns
from .allocate import Allocation, Choice, allocate
from .booking import BookingReport, confirm
from .usecases import DeliveryActions, Done
from .options import DeliveryOffer, DeliveryRequest, delivery_options, load_fleet_capacity
from .day import day_problem, price_vans_together, van_parcels_left, van_seconds_left
from .policy import Decision, Preferences, carrier_shares, choose, load_preferences, save_preferences
from .rates import (
    CarrierAnswer, Insertion, OnTimeRecord, WayRow, carrier_name, compare, dated_quotes, gather_quotes, on_time_records, own_fleet_insertion, pickup_quote,
    save_quotes, shipment_request,
)
from .settings import ShopSettings, load_settings, save_settings
from ..sync.gate import SharedBudget

log = logging.getLogger(__name__)
AdapterSource = Callable[[], Sequence[CarrierAdapter]]
_AWAITING = ("created", "quoted")


@dataclass(frozen=True)
class Comparison:
    """Every way for one order, the recommended one, and why."""

    order: Order
    rows: tuple[WayRow, ...]
    decision: Decision
    asked_at: datetime
    insertion: Insertion | None = None  # where an own van would take it, and the driver time it adds

    def to_json(self) -> list[dict]:
        """One entry per way, as `controltower quote --json` prints it."""
        chosen = self.decision.row
        entries = []
        for row in self.rows:
            is_chosen = row is chosen
            entries.append({
                "carrier": row.carrier, "name": row.name, "kind": row.kind, "service": row.service,
                "price": None if row.price is None else f"{row.price.decimal:.{exponent(row.price.currency)}f}",
                "price_minor": None if row.price is None else row.price.amount_minor,
                "currency": None if row.price is None else row.price.currency,
                "promised_by": to_iso(row.promised_by), "estimated_delivery": to_iso(row.estimated_delivery),
                "on_time": row.on_time.rate, "flags": list(row.flags), "error": row.error or None,
                "chosen": is_chosen, "reason": self.decision.reason if is_chosen else _why_not(row, chosen),
            })
        return entries


def _why_not(row: WayRow, chosen: WayRow | None) -> str:
    if row.error:
        return row.error
    if row.flags:
        return ", ".join(row.flags)
    if chosen is not None and row.price is not None and chosen.price is not None and row.price.amount_minor > chosen.price.amount_minor:
        return f"{(row.price - chosen.price).format()} dearer than {chosen.name}"
    return "not preferred by your settings"


@dataclass(frozen=True)
class DayPlan:
    """A proposed dispatch of the day, for review before anything is booked."""

    comparisons: dict[int, Comparison]
    allocation: Allocation

    def reason(self, order_id: int) -> str:
        """Why the day gives this order its way (or none), in the words the review shows."""
        return self.allocation.reasons.get(order_id, self.allocation.unplaced.get(order_id, ""))

    def lines(self) -> list[tuple[Order, Choice | None, str]]:
        result = []
        for order_id, comparison in self.comparisons.items():
            choice = self.allocation.chosen.get(order_id)
            result.append((comparison.order, choice, self.allocation.unplaced.get(order_id, "")))
        return result


def adapters_from_store(db) -> list[CarrierAdapter]:
    """Adapters for every enabled carrier account except own vans and pickup (priced here), keys from the keychain."""
    from ..sync.accounts import enabled_adapters

    return list(enabled_adapters(db).values())


class DispatchService:
    """Dispatch over one store. `adapters` gives the carriers to ask (default: enabled accounts in the store)."""

    def __init__(self, db, adapters: AdapterSource | None = None, *, hub: EventHub | None = None,
                 clock: Callable[[], datetime] = utcnow, matrix_provider=None, documents_dir: Path | None = None,
                 area_package: Callable[[], object] | None = None) -> None:
        self.db = db
        # Adapters made here from the store are closed after each use; ones handed in belong to the caller.
        self._owns_adapters = adapters is None
        self.adapters = adapters or (lambda: adapters_from_store(db))
        self.hub = hub or EventHub()
        self.clock = clock
        if matrix_provider is None:  # price vans on the same travel estimate the route planner uses
            from ..routing.service import ShopMatrixProvider

            matrix_provider = ShopMatrixProvider(db, area_package)
        self.matrix_provider = matrix_provider
        self.documents_dir = Path(documents_dir) if documents_dir else Path(db.path).parent / "documents"
        self._recent: dict[int, Comparison] = {}  # order id -> its latest comparison, reused while fresh
        self.actions = DeliveryActions(db, hub=self.hub, clock=clock)  # re-book, returns, own vans: written once there
        self.budget = SharedBudget.beside(db.path)  # each carrier's rate budget, shared with the sync process

    @asynccontextmanager
    async def _carriers(self, given: Sequence[CarrierAdapter] | None = None):
        """The carriers to ask, closed afterwards when this service made them."""
        if given is not None:
            yield list(given)
            return
        adapters = list(self.adapters())
        try:
            yield adapters
        finally:
            if self._owns_adapters:
                for adapter in adapters:
                    try:
                        await adapter.aclose()
                    except Exception:  # closing must not hide the answer
                        log.exception("closing the %s adapter failed", adapter.config.code)

    # -- settings ---------------------------------------------------------
    @property
    def settings(self) -> ShopSettings:
        return load_settings(self.db.reader())  # the calling thread's own connection

    def save_settings(self, settings: ShopSettings) -> None:
        """The shop's delivery settings (Delivery settings dialog): hours, cut-offs, slots, prices, zones."""
        save_settings(self.db, settings)

    @property
    def preferences(self) -> Preferences:
        return load_preferences(self.db.reader())

    def save_preferences(self, preferences: Preferences) -> None:
        """The shop's dispatch rules (Dispatch rules dialog); the next comparison uses them."""
        save_preferences(self.db, preferences)

    def carrier_choices(self) -> list[tuple[str, str]]:
        """(code, name) of every carrier account, by name, for the rules' carrier lists."""
        accounts = sorted(carrier_accounts.all_accounts(self.db.reader()), key=lambda account: account.name)
        return [(account.code, account.name) for account in accounts]

    # -- new orders -------------------------------------------------------
    def options_for(self, request: DeliveryRequest, courier_quotes=()) -> list[DeliveryOffer]:
        settings = self.settings
        day = request.ordered_at.astimezone(settings.tz).date()
        capacity = load_fleet_capacity(self.db.reader(), settings, day, days=settings.slot_days_ahead)
        return delivery_options(settings, request, capacity, list(courier_quotes))

    async def courier_quotes(self, draft: Order) -> list:
        """On-demand couriers' quotes for an order being taken (not stored yet), for same-day outside our zones."""
        settings = self.settings
        request = shipment_request(draft, settings, f"Q-{draft.order_ref}", ready_at=self.clock())
        async with self._carriers() as adapters:
            couriers = [a for a in adapters if CarrierKind(getattr(a, "kind", CarrierKind.PARCEL)) is CarrierKind.COURIER]
            answers = await gather_quotes(couriers, request, settings.quote_timeout_s, budget=self.budget)
        return [q for a in answers for q in a.quotes]

    async def locate(self, address: Address) -> GeoPoint | None:
        """Where a typed address is (New order dialog), by the app's geocoder; None when nobody can place it."""
        from ..geocoding import build_geocoder

        return await build_geocoder(self.db).geocode(address, interactive=True)

    def create_order(self, order: Order, *, actor: str = "user", repeat_rule: str = "") -> int:
        """Save a new order; `repeat_rule` (RFC 5545 RRULE, e.g. FREQ=WEEKLY) makes it a recurring delivery whose
        coming occurrences the forecast counts as known demand (BadRepeatRule, before anything is saved, if unreadable)."""
        from ..forecast.recurring import check_rule

        start = order.promised_window.start if order.promised_window else order.created_at
        rule = check_rule(repeat_rule, start) if repeat_rule else ""
        with self.db.transaction() as conn:
            result = upsert_orders(conn, [order])
            order_id = result.ids[order.order_ref.strip()]
            if rule:
                set_repeat_rule(conn, order_id, rule)
            after = {"order_ref": order.order_ref, "option": order.delivery_option.value}
            audit.record(conn, "order.create", "order", order_id, after={**after, "repeats": rule} if rule else after,
                         actor=actor)
        self.hub.publish("orders.changed", ids=[order_id])
        return order_id

    # -- one order ----------------------------------------------------------
    def awaiting_decision(self, limit: int = 500) -> list[Order]:
        """Open orders with no live shipment yet, soonest promise first."""
        rows = self.db.reader().execute(
            "SELECT id FROM orders o WHERE status IN (?, ?) AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id "
            "AND s.kind = 'delivery' AND s.status NOT IN ('cancelled', 'failed_attempt')) "
            "ORDER BY promised_end IS NULL, promised_end, id LIMIT ?", (*_AWAITING, limit)).fetchall()
        conn = self.db.reader()
        return [get_order(conn, r[0]) for r in rows]

    async def compare(self, order_id: int, adapters: Sequence[CarrierAdapter] | None = None,
                      records: dict[str, OnTimeRecord] | None = None, shares: dict[str, float] | None = None,
                      left_out: dict[str, str] | None = None, silent: dict[str, str] | None = None,
                      fresh: bool = False) -> Comparison:
        """Ask every carrier at once, price the own van and pickup, and recommend one way.

        `silent` (shared across one day's comparisons) remembers carriers that gave no answer, so each
        costs the day one timeout rather than one per order. A comparison made in the last few minutes for
        the same order is reused (carriers limit how often they may be asked) unless `fresh` is set.
        """
        conn = self.db.reader()
        order = get_order(conn, order_id)
        if order is None:
            raise NotFound(f"There is no order {order_id}.", "It may have been deleted; refresh the list.")
        settings, now = self.settings, self.clock()
        recent = self._recent.get(order_id)
        if recent is not None and not fresh and not left_out and self._still_good(recent, order, now, settings):
            # Same quotes, chosen again: the shop's rules may have changed since.
            shares = carrier_shares(conn, now) if shares is None else shares
            return dataclasses.replace(recent, decision=choose(list(recent.rows), self.preferences, shares))
        answers: list[CarrierAnswer] = []
        if order.delivery_option is not DeliveryOption.PICKUP:
            request = shipment_request(order, settings, f"Q-{order.order_ref}", ready_at=now)
            names = carrier_accounts.names(conn)
            async with self._carriers(adapters) as carriers:
                answers = await self._ask_carriers(carriers, request, settings.quote_timeout_s, names, silent, self.budget)
        insertion, note = None, ""
        if order.delivery_option is not DeliveryOption.PICKUP:
            plan_date = self._plan_date(order, settings, now)
            insertion = own_fleet_insertion(conn, settings, order, plan_date, now + timedelta(minutes=30), self.matrix_provider)
            note = "" if insertion else ("the order has no map position" if order.location is None else "no van has room that day")
        records = on_time_records(conn) if records is None else records
        rows = compare(order, answers, settings, now, insertion, pickup_quote(settings, order, now), records, note)
        shares = carrier_shares(conn, now) if shares is None else shares
        decision = choose(rows, self.preferences, shares, left_out)
        with self.db.transaction() as wconn:
            save_quotes(wconn, order_id, dated_quotes(answers, settings, now), now)
        comparison = Comparison(order, tuple(rows), decision, now, insertion)
        if not left_out:
            self._recent[order_id] = comparison
        return comparison

    @staticmethod
    def _still_good(comparison: Comparison, order: Order, now: datetime, settings: ShopSettings) -> bool:
        if comparison.order != order or now - comparison.asked_at > timedelta(minutes=settings.quote_reuse_minutes):
            return False
        return not any(row.quote is not None and row.quote.expired(now) for row in comparison.rows)

    @staticmethod
    async def _ask_carriers(carriers, request, timeout_s, names, silent: dict[str, str] | None,
                            budget: SharedBudget | None = None) -> list[CarrierAnswer]:
        if silent is None:
            return await gather_quotes(carriers, request, timeout_s, names, budget)
        asking = [a for a in carriers if a.config.code not in silent]
        answers = await gather_quotes(asking, request, timeout_s, names, budget)
        for answer in answers:
            if answer.error.startswith("no answer within"):
                silent.setdefault(answer.carrier, f"{answer.error} earlier in this run; not asked again")
        skipped = [CarrierAnswer(a.config.code, carrier_name(a, names), CarrierKind(getattr(a, "kind", CarrierKind.PARCEL)),
                                 error=silent[a.config.code]) for a in carriers if a not in asking]
        return answers + skipped

    async def rebook(self, order_id: int) -> Comparison:
        """The comparison for a failed delivery, without the carrier that failed; book it with `book`."""
        failed = self.db.scalar("SELECT carrier FROM shipments WHERE order_id = ? AND kind = 'delivery' "
                                "AND status IN ('failed_attempt', 'exception') ORDER BY id DESC LIMIT 1", (order_id,))
        if failed is None:
            raise NotFound("This order has no failed delivery to re-book.", "Use the comparison to book it as usual.")
        return await self.compare(order_id, left_out={failed: "it failed the last attempt"})

    def failed_deliveries(self) -> list[Order]:
        """Orders whose latest delivery failed and wait for a decision (re-attempt, re-book, pickup or stock)."""
        conn = self.db.reader()
        rows = conn.execute("SELECT id FROM orders WHERE status IN ('failed_attempt', 'exception') ORDER BY updated_at, id").fetchall()
        return [get_order(conn, r[0]) for r in rows]

    def failed_carriers(self, order_ids: Iterable[int]) -> dict[int, str]:
        """{order id: the carrier it was last sent with}, for the Failed deliveries list."""
        ids = list(order_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {r[0]: r[1] or "" for r in self.db.reader().execute(
            f"SELECT id, carrier FROM orders WHERE id IN ({marks})", ids)}

    def order(self, order_id: int) -> Order:
        """One order with its lines (the return dialog lists them)."""
        order = get_order(self.db.reader(), order_id)
        if order is None:
            raise NotFound(f"There is no order {order_id}.", "Refresh the list.")
        return order

    def return_carriers(self) -> list[tuple[str, str]]:
        """(code, name) of the enabled carrier accounts that can collect a return (not own vans, not pickup)."""
        accounts = carrier_accounts.all_accounts(self.db.reader(), enabled_only=True)
        built_in = (CarrierKind.OWN_FLEET.value, CarrierKind.PICKUP.value)
        return sorted(((a.code, a.name) for a in accounts if a.kind not in built_in), key=lambda pair: pair[1])

    def compare_now(self, order_id: int) -> Comparison:
        """The comparison for scripts and the CLI (not on a running event loop)."""
        return asyncio.run(self.compare(order_id))

    @staticmethod
    def _plan_date(order: Order, settings: ShopSettings, now: datetime) -> date:
        moment = order.promised_window.start if order.promised_window else now
        return max(moment, now).astimezone(settings.tz).date()

    # -- the whole day ------------------------------------------------------
    async def plan_day(self, order_ids: Iterable[int] | None = None, concurrency: int = 4, fresh: bool = False) -> DayPlan:
        """Compare every open order (a few at a time) and allocate them under the shop's preferences at least total cost."""
        ids = list(order_ids) if order_ids is not None else [o.id for o in self.awaiting_decision()]
        conn = self.db.reader()
        records, shares = on_time_records(conn), carrier_shares(conn, self.clock())
        gate = asyncio.Semaphore(concurrency)
        silent: dict[str, str] = {}
        async with self._carriers() as adapters:
            async def one(order_id: int) -> Comparison:
                async with gate:
                    return await self.compare(order_id, adapters, records, shares, silent=silent, fresh=fresh)

            comparisons = {c.order.id: c for c in await asyncio.gather(*(one(i) for i in ids))}
        settings, day, conn = self.settings, self.clock().astimezone(self.settings.tz).date(), self.db.reader()
        problem = day_problem(comparisons, self.preferences, settings, self.van_room(day),
                              van_seconds_left(conn, settings, day, self.clock()))
        positions = {i: (c.order.location.lat, c.order.location.lon) for i, c in comparisons.items() if c.order.location}
        allocation = price_vans_together(conn, settings, day, problem, allocate(problem), positions, self.matrix_provider)
        return DayPlan(comparisons, allocation)

    def van_room(self, plan_date: date | None = None) -> int:
        """Parcels the active vans can still take on the day (capacity less what their routes already carry)."""
        return van_parcels_left(self.db.reader(), plan_date or self.clock().astimezone(self.settings.tz).date())

    def confirm(self, choices: Iterable[Choice], attempt: int | None = None) -> BookingReport:
        """Book the reviewed choices; confirming the same choices again books nothing twice."""
        choices = list(choices)
        report = confirm(self.db, self.settings, choices, self.clock(), attempt)
        self._recent.clear()  # the plan changed: van insertion costs are stale
        self.hub.publish("shipments.changed", ids=[line.shipment_id for line in report.lines if line.shipment_id])
        self.hub.publish("orders.changed", ids=[line.order_id for line in report.lines])
        if any(line.carrier == "own_fleet" for line in report.lines):
            self.hub.publish("routes.changed", plan_date=None)
        return report

    def book(self, comparison: Comparison, row: WayRow | None = None) -> BookingReport:
        """Book one order the way chosen in its comparison (the recommendation unless `row` is given)."""
        return self.confirm([self._choice(comparison, row)])

    def rebook_with(self, comparison: Comparison, row: WayRow | None = None) -> Done:
        """Re-book the order the way chosen in its comparison: the delivery under way (if any) is cancelled first."""
        done = self.actions.rebook(comparison.order.id, self._choice(comparison, row))
        self._recent.clear()  # the plan changed: van insertion costs are stale
        return done

    @staticmethod
    def _choice(comparison: Comparison, row: WayRow | None) -> Choice:
        row = row or comparison.decision.row
        if row is None:
            raise NotFound("There is nothing to book for this order.", comparison.decision.reason)
        order = comparison.order
        van = order.parcels if row.kind == CarrierKind.OWN_FLEET.value else 0
        return Choice(order.id, row.carrier, row.service, row.price, van, row)

    # -- documents, returns, failed deliveries ----------------------------
    def own_label(self, order_id: int) -> Path:
        order = get_order(self.db.reader(), order_id)
        if order is None:
            raise NotFound(f"There is no order {order_id}.")
        return labels.own_label_pdf(order, self.settings, self.documents_dir / "labels" / f"{order.order_ref}.pdf")

    def pick_list(self, orders: Sequence[Order], when: datetime) -> Path:
        """The warehouse's pick list for these orders, saved in the documents folder."""
        return labels.pick_list_pdf(orders, self.documents_dir / "pick-list.pdf", when)

    async def fetch_carrier_label(self, shipment_id: int, adapter: CarrierAdapter | None = None) -> Path:
        """Get a booked shipment's label from its carrier (PDF, PNG or ZPL as it comes) and keep it with the shipment."""
        from ..store.shipments import get_shipment

        shipment = get_shipment(self.db.reader(), shipment_id)
        if shipment is None or not shipment.external_id:
            raise NotFound(f"Shipment {shipment_id} is not booked with a carrier yet.", "Wait for the booking to go through.")
        async with self._carriers([adapter] if adapter else None) as adapters:
            carrier = next((a for a in adapters if a.config.code == shipment.carrier), None)
            if carrier is None:
                raise NotFound(f"No enabled carrier account for {shipment.carrier}.", "Enable it in Settings > Carrier accounts.")
            label = await carrier.label(shipment.external_id)
        data = label.data
        if not data and label.url:
            import httpx

            async with httpx.AsyncClient(timeout=self.settings.quote_timeout_s * 2, follow_redirects=True) as client:
                response = await client.get(label.url)
                response.raise_for_status()
                data = response.content
        with self.db.transaction() as conn:
            path = labels.save_carrier_label(conn, shipment_id, data, label.format, self.documents_dir / "labels")
        self.hub.publish("shipments.changed", ids=[shipment_id])
        return path

    async def collect_labels(self, shipment_ids: Iterable[int] | None = None) -> tuple[dict[int, Path], dict[int, str]]:
        """Fetch the labels of carrier bookings that have none yet: ({shipment id: saved file}, {shipment id: why not})."""
        from ..carriers.base import Capability

        sql = ("SELECT id, carrier FROM shipments WHERE status = 'booked' AND external_id != '' AND label_path = '' "
               "AND carrier NOT IN ('own_fleet', 'pickup')")
        rows = self.db.reader().execute(sql).fetchall()
        wanted = None if shipment_ids is None else set(shipment_ids)
        saved: dict[int, Path] = {}
        problems: dict[int, str] = {}
        async with self._carriers() as adapters:
            by_code = {a.config.code: a for a in adapters}
            for row in rows:
                if wanted is not None and row["id"] not in wanted:
                    continue
                adapter = by_code.get(row["carrier"])
                if adapter is None or not adapter.supports(Capability.LABEL):
                    problems[row["id"]] = f"{row['carrier']} gives no labels"
                    continue
                try:
                    saved[row["id"]] = await self.fetch_carrier_label(row["id"], adapter)
                except Exception as error:  # one missing label must not stop the others; the reason is shown
                    problems[row["id"]] = f"not fetched: {error}"
        return saved, problems

    def save_manifest(self, carrier: str, shipment_ids: Sequence[int], when: datetime) -> Path:
        """The handover sheet for one carrier collection, saved in the documents folder."""
        path = self.documents_dir / f"manifest-{carrier.replace(':', '_')}-{when:%Y%m%d-%H%M}.pdf"
        return labels.manifest_pdf(self.db.reader(), carrier, carrier, shipment_ids, path, when)

    def start_return(self, order_id: int, reason: str, items: list[str], method: str, carrier: str = "") -> returns.ReturnCase:
        return self.actions.start_return(order_id, reason, items, method, carrier).return_case

    def resolve_failed_attempt(self, order_id: int, action: str) -> str:
        with self.db.transaction() as conn:
            done = returns.resolve_failed_attempt(conn, self.settings, order_id, action, self.clock())
        self.hub.publish("orders.changed", ids=[order_id])
        self.hub.publish("notifications.changed")
        return done
