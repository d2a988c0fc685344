"""Every text a user reads names a carrier by its account's name ("Pedal Couriers"), never by its code
("sandbox:pedal"): exception cases, customer messages, exports, the re-book list and the outbox panel."""
from __future__ import annotations

import csv
from datetime import timedelta, timezone

import time_machine

from controltower.control.engine import ExceptionEngine
from controltower.control.notify.outbox import order_values
from controltower.domain import Money, Quote
from controltower.domain import ShipmentStatus as S
from controltower.domain.carriers import carrier_label
from controltower.domain.timeutil import to_iso
from controltower.exports.tables import export
from controltower.store import carrier_accounts

from control_facts import NOW

PEDAL = "sandbox:pedal"
NAME = "Pedal Couriers of Portland"


def _name_the_account(store) -> None:
    with store.transaction() as conn:
        carrier_accounts.add(conn, [carrier_accounts.StoredAccount(PEDAL, NAME, "courier", True, {})])


def _every_carrier_case(store, facts) -> None:
    """One of each case whose text names the carrier, all with the Pedal account."""
    late = facts.order(promised_end=NOW - timedelta(hours=2))
    facts.shipment(late, carrier=PEDAL, status=S.IN_TRANSIT)
    facts.shipment(facts.order(), carrier=PEDAL, status=S.FAILED_ATTEMPT)
    facts.shipment(facts.order(), carrier=PEDAL, status=S.RETURNING, status_as_of=NOW - timedelta(hours=1))
    facts.shipment(facts.order(), carrier=PEDAL, status=S.DELIVERED, cost=1500, quoted=900)
    no_show = facts.shipment(facts.order(), carrier=PEDAL, status=S.BOOKED, status_as_of=NOW - timedelta(hours=5))
    damaged = facts.shipment(facts.order(), carrier=PEDAL, status=S.EXCEPTION)
    facts.event(damaged, "exception", NOW - timedelta(hours=1), text="Package damaged in transit", carrier=PEDAL)
    refused = facts.shipment(facts.order(), carrier=PEDAL, status=S.CREATED)
    facts.set("INSERT INTO outbox(idempotency_key, carrier, operation, shipment_id, state, last_error, created_at, "
              "updated_at) VALUES ('k1', ?, 'book', ?, 'failed', 'pickup phone missing', ?, ?)",
              (PEDAL, refused, to_iso(NOW), to_iso(NOW)))
    assert no_show


@time_machine.travel(NOW, tick=False)
def test_case_texts_name_the_account_not_its_code(store, facts):
    _name_the_account(store)
    _every_carrier_case(store, facts)
    ExceptionEngine(store).refresh(NOW)
    summaries = {row["kind"]: row["summary"] for row in store.query(
        "SELECT kind, summary FROM exceptions WHERE resolved_at IS NULL")}
    naming = {"late", "failed_attempt", "returned_to_sender", "cost_over_quote", "carrier_no_show",
              "damaged_or_lost", "booking_failed"}
    assert naming <= set(summaries), summaries
    for kind in naming:
        assert NAME in summaries[kind], (kind, summaries[kind])
    assert not [text for text in summaries.values() if "sandbox" in text or "pedal" in text]


@time_machine.travel(NOW, tick=False)
def test_a_renamed_account_renames_its_open_cases(store, facts):
    _name_the_account(store)
    facts.shipment(facts.order(), carrier=PEDAL, status=S.FAILED_ATTEMPT)
    engine = ExceptionEngine(store)
    engine.refresh(NOW)
    with store.transaction() as conn:
        carrier_accounts.add(conn, [carrier_accounts.StoredAccount(PEDAL, "Pedal Express", "courier", True, {})])
    engine.refresh(NOW + timedelta(minutes=1))
    assert store.scalar("SELECT summary FROM exceptions WHERE kind = 'failed_attempt'") == "Delivery attempt failed (Pedal Express)"


def test_a_code_without_an_account_still_reads_as_words():
    assert carrier_label("sandbox:pedal", {}) == "Pedal"
    assert carrier_label("own_fleet", {}) == "Own van"
    assert carrier_label("easypost:ups_ground", {"easypost:ups_ground": ""}) == "Ups Ground"
    assert carrier_label(None, {}) == "—"


@time_machine.travel(NOW, tick=False)
def test_customer_message_names_the_account(store, facts):
    _name_the_account(store)
    order = facts.order()
    facts.shipment(order, carrier=PEDAL, status=S.IN_TRANSIT)
    assert order_values(store.reader(), order)["carrier"] == NAME


@time_machine.travel(NOW, tick=False)
def test_exports_label_the_carrier_by_name(store, facts, tmp_path):
    _name_the_account(store)
    facts.shipment(facts.order(ref="R-PEDAL"), carrier=PEDAL, status=S.IN_TRANSIT)
    facts.shipment(facts.order(ref="R-VAN"), carrier="own_fleet", status=S.IN_TRANSIT)
    export(store.reader(), "shipments", tmp_path / "shipments.csv")
    with open(tmp_path / "shipments.csv", newline="", encoding="utf-8-sig") as handle:
        carriers = {row["Order"]: row["Carrier"] for row in csv.DictReader(handle)}
    assert carriers == {"R-PEDAL": NAME, "R-VAN": "Own van"}


def test_rebook_list_and_outbox_panel_show_names(qtbot, store, facts):
    from controltower.kernel.events import EventHub
    from controltower.services.outbox import OutboxService
    from controltower.ui.exceptions.dialogs import RebookDialog
    from controltower.ui.sync_status import OutboxPanel

    _name_the_account(store)
    dialog = RebookDialog([Quote(PEDAL, "same_day", Money(1200), id=7)], None, {PEDAL: NAME})
    qtbot.addWidget(dialog)
    assert dialog.quotes.item(0).text().startswith(f"{NAME} same day: ")

    shipment = facts.shipment(facts.order(), carrier=PEDAL, status=S.CREATED)
    facts.set("INSERT INTO outbox(idempotency_key, carrier, operation, shipment_id, state, created_at, updated_at) "
              "VALUES ('k2', ?, 'book', ?, 'pending', ?, ?)", (PEDAL, shipment, to_iso(NOW), to_iso(NOW)))
    panel = OutboxPanel(OutboxService(store), EventHub())
    qtbot.addWidget(panel)
    assert panel.table.item(0, 1).text() == NAME


@time_machine.travel(NOW, tick=False)
def test_scorecard_and_costs_name_the_account(store, facts):
    from controltower.control.kpis import KpiService, Period

    _name_the_account(store)
    facts.shipment(facts.order(), carrier=PEDAL, status=S.DELIVERED, status_as_of=NOW - timedelta(hours=2),
                   created_at=NOW - timedelta(hours=5), cost=900)
    facts.shipment(facts.order(), carrier="unknown:code", status=S.DELIVERED, status_as_of=NOW - timedelta(hours=2),
                   created_at=NOW - timedelta(hours=5), cost=700)
    service, period = KpiService(store, clock=lambda: NOW), Period.last_days(7, NOW, zone=timezone.utc)
    assert {row.name for row in service.scorecard(period) if row.kind == "carrier"} == {NAME, "unknown:code"}
    assert {row.name for row in service.cost_breakdown(period) if row.group == "carrier"} == {NAME, "unknown:code"}
