"""A real shop's first day, start to finish, as its owner clicks through it (issue 17, "What it must show").

Fresh HOME, an empty real store, Monday 23 November 2026 08:45 in Portland: the setup assistant, a CSV of a dozen
Portland orders through the import wizard, Dispatch the day with the sandbox couriers on 127.0.0.1, the vans planned
and saved in Routes, the bookings sent by the real sync engine, the couriers' tracking moving, a failed courier
drop-off raised in Needs attention and moved to our own van from there, the customer's message reaching the SMTP fake
through the app's own notification job, the van's stops marked Delivered, and the KPI panel's Today equal to a count
made here from the store. Where a step has no button the test calls the service the window would, and says so.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PySide6.QtCore import QThreadPool, Qt
from PySide6.QtWidgets import QWizard

from controltower.demo.sandbox import COMPANIES, SandboxNetwork, register_sandbox
from controltower.demo.sandbox.adapters import sandbox_adapters, unregister_sandbox
from controltower.kernel.events import EventHub
from controltower.services.core import Cadence, ControlTower, Options
from controltower.store import Database
from controltower.store.carrier_accounts import StoredAccount
from controltower.sync.engine import SyncEngine
from controltower.sync.run import quick_policy
from controltower.ui.context import AppContext
from controltower.ui.imports import ImportWizard
from controltower.ui.main_window import MainWindow
from tests.control.fake_services import MailServer

PORTLAND = ZoneInfo("America/Los_Angeles")
MONDAY_0845 = datetime(2026, 11, 23, 8, 45, tzinfo=PORTLAND)
TODAY = "2026-11-23"
SANDBOX = {"sandbox:zippy": "Zippy Express (sandbox)", "sandbox:pedal": "Pedal Post (sandbox)",
           "sandbox:metro": "Metro Runners (sandbox)"}

# Twelve orders as a Portland shop's web store exports them: east-side addresses, today's windows, a few far out
# (Beaverton, Gresham, Lake Oswego: past the vans' zone, for the couriers).
ORDERS_CSV = """order_ref,customer_name,phone,email,street,city,state,postcode,country,delivery,window start,window end,parcels,weight,item,quantity,price
RC-1001,Maya Chen,+15035550101,maya@example.com,3325 SE Division St,Portland,OR,97202,US,same day,2026-11-23T11:00-08:00,2026-11-23T15:00-08:00,1,1200,Monstera deliciosa,1,45.00
RC-1002,Luis Ortega,+15035550102,luis@example.com,1120 SE Hawthorne Blvd,Portland,OR,97214,US,same day,2026-11-23T11:00-08:00,2026-11-23T15:00-08:00,1,800,Fiddle leaf fig,1,60.00
RC-1003,Grace Kim,+15035550103,grace@example.com,4110 SE Belmont St,Portland,OR,97214,US,same day,2026-11-23T12:00-08:00,2026-11-23T17:00-08:00,2,3000,Terracotta pot set,1,38.00
RC-1004,Omar Haddad,+15035550104,omar@example.com,2701 NE Alberta St,Portland,OR,97211,US,same day,2026-11-23T12:00-08:00,2026-11-23T17:00-08:00,1,900,Snake plant,2,24.00
RC-1005,Priya Nair,+15035550105,priya@example.com,5016 SE Woodstock Blvd,Portland,OR,97206,US,same day,2026-11-23T11:00-08:00,2026-11-23T17:00-08:00,1,1500,Olive tree,1,85.00
RC-1006,Ben Walsh,+15035550106,ben@example.com,1401 NE Broadway,Portland,OR,97232,US,same day,2026-11-23T12:00-08:00,2026-11-23T16:00-08:00,1,700,Pothos,3,14.00
RC-1007,Sofia Rossi,+15035550107,sofia@example.com,3560 N Williams Ave,Portland,OR,97227,US,same day,2026-11-23T11:00-08:00,2026-11-23T17:00-08:00,1,600,Succulent tray,1,32.00
RC-1008,Jamal Brooks,+15035550108,jamal@example.com,7600 SE Foster Rd,Portland,OR,97206,US,same day,2026-11-23T12:00-08:00,2026-11-23T17:00-08:00,2,2500,Bird of paradise,1,70.00
RC-1009,Hana Sato,+15035550109,hana@example.com,12600 SW Crescent St,Beaverton,OR,97005,US,same day,2026-11-23T11:00-08:00,2026-11-23T18:00-08:00,1,900,Orchid,1,39.00
RC-1010,Ella Novak,+15035550110,ella@example.com,150 NE Division St,Gresham,OR,97030,US,same day,2026-11-23T11:00-08:00,2026-11-23T18:00-08:00,1,1100,Peace lily,1,29.00
RC-1011,Tom Fischer,+15035550111,tom@example.com,425 2nd St,Lake Oswego,OR,97034,US,same day,2026-11-23T11:00-08:00,2026-11-23T18:00-08:00,1,1000,Ficus,1,55.00
RC-1012,Aisha Bello,+15035550112,aisha@example.com,2325 SE Clinton St,Portland,OR,97202,US,same day,2026-11-23T12:00-08:00,2026-11-23T17:00-08:00,1,500,Air plant trio,1,18.00
"""


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """A computer nobody has used the app on: its own HOME and XDG folders."""
    home = tmp_path / "home"
    for name, sub in (("HOME", ""), ("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"),
                      ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(home / sub))
    return home


@contextlib.contextmanager
def sandbox_network():
    """The sandbox courier network on 127.0.0.1, registered as `controltower --demo` does (DemoSync.start), started
    on the test's clock (its couriers' day is the shop's day). Metro Runners fail every drop-off (the day's
    exception); the others never run late or fail."""
    network = SandboxNetwork(speed=1, seed=3)
    for code, company in COMPANIES.items():
        network.world.companies[code] = dataclasses.replace(company, delay_rate=0.0,
                                                            failure_rate=1.0 if code == "metro" else 0.0)
    register_sandbox(network.start())
    try:
        yield network
    finally:
        unregister_sandbox()
        network.stop()


def run(coroutine):
    """Runs engine work to its end on a loop of its own (the app's sync engine runs in its own process)."""
    return asyncio.new_event_loop().run_until_complete(coroutine)


@pytest.mark.time_sensitive
def test_a_new_shop_runs_its_first_day_from_setup_to_the_kpis(qtbot, tmp_path, fresh_home, memory_keyring):
    mail = MailServer(tmp_path, tls=False)  # started before the clock moves: its certificate is dated by the real one
    with mail, time_machine.travel(MONDAY_0845, tick=True) as clock, sandbox_network() as sandbox:
        store = Database(fresh_home / ".local/share/ControlTower/store.db")
        core = ControlTower(store, options=Options(sync=False, cadence=Cadence(
            notifications=0.05, notifications_first_after=0, exceptions=3600, returns=3600, backup=3600,
            backup_first_after=3600, store_check=3600, store_check_first_after=3600)))
        window = MainWindow(AppContext(core=core))
        qtbot.addWidget(window)
        window.show()
        try:
            first_day(qtbot, window, core, store, sandbox, mail, clock, tmp_path)
        finally:
            for area in (window.areas.routes, window.areas.dispatch):
                built = getattr(area, "widget", None)
                if built is not None and hasattr(built, "shutdown"):
                    built.shutdown()
            QThreadPool.globalInstance().waitForDone(30_000)
            window.close()
            store.close()


def first_day(qtbot, window, core, store, sandbox, mail, clock, tmp_path):
    # ---- 1. The setup assistant opens on the empty store; the owner fills every page.
    qtbot.waitUntil(lambda: getattr(window.areas, "setup_wizard", None) is not None, timeout=5_000)
    wizard = window.areas.setup_wizard
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    shop = wizard.pages["shop"]
    qtbot.keyClicks(shop.name, "Rose City Plants")
    qtbot.keyClicks(shop.street, "2325 SE Hawthorne Blvd")
    qtbot.keyClicks(shop.city, "Portland")
    qtbot.keyClicks(shop.postcode, "97214")
    qtbot.keyClicks(shop.phone, "(503) 555-0199")  # the couriers refuse a pickup without it
    with qtbot.waitSignal(shop.located, timeout=20_000):
        click(qtbot, shop.find_button)
    assert shop.timezone.currentText() == "America/Los_Angeles"
    shop.currency.setCurrentText("USD")
    click(qtbot, next_button)
    click(qtbot, next_button)  # hours: 09:00-19:00 as offered
    click(qtbot, next_button)  # depot: at the shop
    vans = wizard.pages["vans"]
    click(qtbot, vans.add_button)
    for column, value in enumerate(["Sprinter", "60", "900", "0.45", "26.50", "09:00", "18:00", "30", "Dana Cruz",
                                    "+15035550100"]):
        vans.table.item(0, column).setText(value)
    click(qtbot, next_button)
    click(qtbot, next_button)  # carrier accounts: the sandbox couriers are connected below
    senders = wizard.pages["senders"]
    qtbot.keyClicks(senders.smtp_host, "127.0.0.1")
    senders.smtp_port.setValue(mail.port)
    senders.smtp_security.setCurrentIndex(senders.smtp_security.findData("none"))
    qtbot.keyClicks(senders.smtp_from, "shop@rosecity.example")
    click(qtbot, next_button)
    zones = wizard.pages["zones"]
    click(qtbot, zones.add_button)
    for column, value in enumerate(["East side", "8", "", "0.00"]):
        zones.table.item(0, column).setText(value)
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    assert not wizard.isVisible()

    # ---- 2. The sandbox couriers as carrier accounts. The Carrier accounts dialog lists accounts the store already
    # holds and only the demo makes sandbox ones, so the accounts go in as the demo's generator writes them.
    from controltower.store import carrier_accounts
    with store.transaction() as conn:
        carrier_accounts.add(conn, [StoredAccount(code, name, "courier", True, {"sandbox": True})
                                    for code, name in SANDBOX.items()])

    # ---- 3. File > Import orders: the wizard reads the shop's CSV; the window then places the new orders.
    path = tmp_path / "orders-2026-11-23.csv"
    path.write_text(ORDERS_CSV, encoding="utf-8")
    window.areas.import_orders()
    importer = next(w for w in window.findChildren(ImportWizard))
    importer.load_file(path)
    qtbot.waitUntil(lambda: importer.prepared is not None, timeout=20_000)
    assert "12 orders ready" in importer.summary.text(), importer.summary.text()
    with qtbot.waitSignal(importer.imported, timeout=30_000) as imported:
        click(qtbot, importer.import_button)
    assert imported.args[0].imported == 12
    qtbot.waitUntil(lambda: store.scalar("SELECT count(*) FROM orders WHERE lat IS NULL") == 0, timeout=30_000)
    importer.close()

    # ---- 4. Dispatch: the far orders go to sandbox couriers, chosen in the comparison panel ("Book … instead");
    # the rest by Dispatch the day (reviewed, then confirmed).
    dispatch = window.areas.dispatch.build()
    with qtbot.waitSignal(dispatch.planReady, timeout=60_000):
        dispatch.refresh()
    for ref, courier in (("RC-1009", "Zippy Express (sandbox)"), ("RC-1010", "Metro Runners (sandbox)"),
                         ("RC-1011", "Zippy Express (sandbox)")):
        qtbot.waitUntil(lambda: any(o.order_ref == ref for o in dispatch.orders), timeout=30_000)
        order = next(o for o in dispatch.orders if o.order_ref == ref)
        dispatch.table.clearSelection()
        with qtbot.waitSignal(dispatch.comparisonShown, timeout=60_000):
            dispatch.select_order(order.id)
        ways = [dispatch.panel.table.item(r, 0).text().removeprefix("✓ ") for r in range(dispatch.panel.table.rowCount())]
        dispatch.panel.table.selectRow(ways.index(courier))
        with qtbot.waitSignal(dispatch.booked, timeout=30_000) as booked:
            click(qtbot, dispatch.panel.book_button)
        assert [line.outcome for line in booked.args[0].lines] == ["queued"], booked.args[0].lines
    qtbot.waitUntil(lambda: dispatch.plan is not None and len(dispatch.orders) == 9, timeout=60_000)
    dispatch.review_day()
    review = dispatch.review_dialog
    click(qtbot, review.confirm_button)
    qtbot.waitUntil(lambda: review.report is not None, timeout=30_000)
    lines = review.report.lines
    # The day's cheapest way for each: own vans are booked at once, couriers queued for the sync engine.
    assert sorted(line.outcome for line in lines) == sorted("booked" if line.carrier == "own_fleet" else "queued"
                                                           for line in lines)
    van_refs = sorted(line.order_ref for line in lines if line.carrier == "own_fleet")
    by_courier = {line.order_ref: line.carrier for line in lines if line.carrier != "own_fleet"}
    assert len(lines) == 9 and van_refs, lines  # the vans take some; couriers may be cheaper for the rest
    review.close()
    assert shipments(store) == {**{ref: ("own_fleet", "booked") for ref in van_refs},
                                **{ref: (carrier, "created") for ref, carrier in by_courier.items()},
                                "RC-1009": ("sandbox:zippy", "created"), "RC-1010": ("sandbox:metro", "created"),
                                "RC-1011": ("sandbox:zippy", "created")}
    vans = len(van_refs)

    # ---- 5. Routes: plan the vans (Re-optimise) and Save plan.
    routes = window.areas.routes.build()
    routes.load(TODAY)
    qtbot.waitUntil(lambda: routes.day is not None and len(routes.day.stops) == vans, timeout=30_000)
    click(qtbot, routes.optimise_button)
    qtbot.waitUntil(lambda: routes.optimise_button.isEnabled() and routes.plan is not None
                    and sum(map(len, routes.plan.routes)) == vans, timeout=60_000)
    click(qtbot, routes.save_button)
    assert "Plan saved" in routes.status.text()
    assert store.scalar("SELECT count(*) FROM stops s JOIN routes r ON r.id = s.route_id WHERE r.plan_date = ?",
                        (TODAY,)) == vans

    # ---- 6. The bookings go out: the real sync engine over the sandbox couriers, run until the outbox is idle.
    # (The app runs it as a child process, ProcessSyncEngine; here it runs in the test's process on its own loop.)
    engine = SyncEngine(store, sandbox_adapters(sandbox.base_url), core.hub, dataclasses.replace(quick_policy(), track=True))

    async def sync(advance: timedelta | None = None) -> None:
        engine.start()
        try:
            await engine.run_until_idle(30)
            if advance is not None:
                sandbox.clock.advance(advance)  # the couriers' day moves on; the engine asks where they are
                await engine.tracking.refresh_all()
        finally:
            await engine.stop()

    run(sync())
    assert {ref: s for ref, s in shipments(store).items() if s[0] != "own_fleet"} == {
        **{ref: (carrier, "booked") for ref, carrier in by_courier.items()},
        "RC-1009": ("sandbox:zippy", "booked"), "RC-1010": ("sandbox:metro", "booked"),
        "RC-1011": ("sandbox:zippy", "booked")}, [tuple(r) for r in store.query("SELECT carrier, state, last_error FROM outbox")]
    assert len(sandbox.bookings()) == 3 + len(by_courier)  # each booking reached the couriers exactly once

    # ---- 7. Tracking moves: two hours of the couriers' day; Metro's drop-off fails and the parcel comes back.
    clock.shift(timedelta(hours=2))
    engine = SyncEngine(store, sandbox_adapters(sandbox.base_url), core.hub, dataclasses.replace(quick_policy(), track=True))
    run(sync(timedelta(hours=2)))
    moved = shipments(store)
    assert moved["RC-1009"][1] == moved["RC-1011"][1] == "delivered", moved
    assert moved["RC-1010"][1] in ("failed_attempt", "returning", "returned"), moved

    # ---- 8. Needs attention shows it; the owner moves it to the own van from the queue, and it is on the route.
    queue = window.areas.exceptions
    with qtbot.waitSignal(queue.rulesChecked, timeout=30_000):
        queue.refresh_rules()
    row = next(i for i, case in enumerate(queue.model.rows) if case.order_ref == "RC-1010")
    case_kind = queue.model.rows[row].kind
    assert case_kind in ("failed_attempt", "returned_to_sender"), case_kind
    queue.select_rows([row])
    click(qtbot, queue.buttons["reschedule"])
    click(qtbot, queue.active_dialog.ok_button)  # a new window today; the customer is told
    assert "RC-1010" not in [case.order_ref for case in queue.model.rows]
    queue.select_rows([])

    # ---- 9. The app's own notification job sends the customer's message to the shop's SMTP server.
    loop = asyncio.new_event_loop()

    async def app_runs_until_sent() -> None:
        core.start()
        try:
            for _ in range(200):
                if any(m["To"] == "ella@example.com" for m in mail.received):
                    return
                await asyncio.sleep(0.05)
        finally:
            await core.stop()

    loop.run_until_complete(app_runs_until_sent())
    (message,) = [m for m in mail.received if m["To"] == "ella@example.com"]
    assert message["From"] == "shop@rosecity.example" and "RC-1010" in message.as_string()

    # ---- 10. The van's day: each stop marked Delivered in Routes.
    routes.load(TODAY)
    qtbot.waitUntil(lambda: routes.day is not None, timeout=30_000)
    delivered_sql = ("SELECT s.status FROM shipments s JOIN orders o ON o.id = s.order_id WHERE o.order_ref = ? "
                     "ORDER BY s.id DESC LIMIT 1")
    for ref in van_refs:
        qtbot.waitUntil(lambda: routes.day is not None and any(info.order_ref == ref for info in routes.day.stops),
                        timeout=10_000)
        stop = next(i for i, info in enumerate(routes.day.stops) if info.order_ref == ref)
        routes.select_stop(stop)
        qtbot.waitUntil(lambda: routes.van_stop.delivered_button.isEnabled(), timeout=10_000)
        click(qtbot, routes.van_stop.delivered_button)
        assert routes.van_stop.message.text() == f"{ref}: Delivered"
        assert store.scalar(delivered_sql, (ref,)) == "delivered"

    # ---- 11. The KPI panel's Today equals a count made here from the store, over the shop's own day.
    kpis = window.areas.kpis
    with qtbot.waitSignal(kpis.updated, timeout=30_000):
        kpis.set_period(1)  # Today
        kpis.refresh()
    day_start = datetime(2026, 11, 23, tzinfo=PORTLAND).astimezone(timezone.utc)
    delivered, on_time = independent_count(store.path, day_start, day_start + timedelta(days=1))
    assert delivered >= vans and kpis.status.text().startswith("Today")  # the vans' stops at least
    assert kpis.cards["on_time_rate"].value.text() == f"{100 * on_time / delivered:.1f}%"


def shipments(store) -> dict[str, tuple[str, str]]:
    """order ref -> (carrier, status) of its latest shipment."""
    return {r[0]: (r[1], r[2]) for r in store.query(
        "SELECT o.order_ref, s.carrier, s.status FROM shipments s JOIN orders o ON o.id = s.order_id "
        "WHERE s.id = (SELECT max(id) FROM shipments WHERE order_id = o.id) ORDER BY o.id")}


def independent_count(path, since: datetime, until: datetime) -> tuple[int, int]:
    """Deliveries whose delivery falls in [since, until) and how many of them by the promised end, read straight
    from the file with SQL of its own (not the KPI code)."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT s.status_as_of, o.promised_end FROM shipments s JOIN orders o ON o.id = s.order_id "
            "WHERE s.status = 'delivered'").fetchall()
    finally:
        conn.close()
    parse = datetime.fromisoformat
    days = [(parse(at), parse(end)) for at, end in rows if since <= parse(at) < until]
    return len(days), sum(1 for at, end in days if at <= end)
