"""The application object runs the app's background work: messages reach the mail server, shops are pulled on their
schedule, a failing job is shown and retried, and everything stops with the app."""
from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS / "control"), str(TESTS / "imports")]

from control_facts import Facts  # noqa: E402
from fake_services import MailServer  # noqa: E402
from fake_shops import FakeShopify, serve  # noqa: E402

from controltower.services.core import Cadence, ControlTower, Options  # noqa: E402
from controltower.services.jobs import FAILED, STOPPED, WAITING  # noqa: E402
from controltower.services.shops import ShopConnection, connect_shop  # noqa: E402
from controltower.store import Database  # noqa: E402
from controltower.store.secrets import set_secret  # noqa: E402

NOON = datetime(2026, 11, 25, 20, 0, tzinfo=timezone.utc)  # a Wednesday, noon in Portland
QUICK = Cadence(notifications=0.05, notifications_first_after=0, exceptions=3600, returns=3600, backup=3600,
                backup_first_after=3600)


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=True) as traveller:
        yield traveller


@pytest.fixture
def mail_server(tmp_path):
    """Started before the clock is set: its certificate must be valid by the real clock OpenSSL reads."""
    with MailServer(tmp_path, login=("rose", "s3cret")) as server:
        yield server


def core_over(path: Path, **options) -> ControlTower:
    return ControlTower(Database(path), options=Options(sync=False, cadence=QUICK, **options))


async def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


def run_app_for(core: ControlTower, until=lambda: True, then_s: float = 0.3) -> None:
    """Start the app's background work, wait for `until`, let it run `then_s` longer, stop it."""
    async def main() -> None:
        core.start()
        try:
            await wait_until(until)
            await asyncio.sleep(then_s)
        finally:
            await core.stop()

    asyncio.run(main())


def set_up_mail(db: Database, server: MailServer) -> None:
    """The shop's own mail account, as Settings > Notifications saves it (password in the keychain)."""
    for key, value in {"notify.smtp.host": "127.0.0.1", "notify.smtp.port": str(server.port),
                       "notify.smtp.from": "shop@rosecity.example", "notify.smtp.username": "rose",
                       "notify.smtp.security": "starttls", "notify.smtp.ca_file": str(server.cert)}.items():
        db.set_setting(key, value)
    set_secret("smtp", "password", "s3cret")


def test_a_queued_customer_message_is_sent_once_while_the_app_runs_and_never_again_after_a_restart(
        tmp_path, mail_server, clock):
    server = mail_server
    path = tmp_path / "store.db"
    core = core_over(path)
    order = Facts(core.db).order(name="Ada Lovelace", email="ada@example.com")
    set_up_mail(core.db, server)
    result = core.control.contact_customer(order, subject="Your flowers", message="They are on their way.",
                                           channels=("email",))
    assert result.message == "1 message(s) queued to the customer"
    run_app_for(core, until=lambda: len(server.received) >= 1, then_s=0.4)
    core.close()
    restarted = core_over(path)
    run_app_for(restarted, then_s=0.4)
    statuses = {s.name: s for s in restarted.job_statuses()}
    restarted.close()
    (mail,) = server.received
    assert mail["To"] == "ada@example.com" and mail["Subject"] == "Your flowers"
    assert statuses["notifications"].state == STOPPED and statuses["notifications"].runs >= 2


def test_the_demo_sends_messages_to_its_own_mailbox_folder(tmp_path, clock):
    core = core_over(tmp_path / "store.db", demo=True)
    order = Facts(core.db).order(email="bo@example.com")
    core.control.contact_customer(order, subject="Hello", message="Your order is ready.", channels=("email",))
    folder = tmp_path / "sent-messages"
    run_app_for(core, until=lambda: folder.exists() and any(folder.iterdir()))
    (sent,) = folder.iterdir()
    assert "To: bo@example.com" in sent.read_text() and "Your order is ready." in sent.read_text()
    assert core.db.scalar("SELECT status FROM notifications") == "sent"
    core.close()


@pytest.fixture
def shopify():
    fake = FakeShopify(30)
    server, url = serve(fake)
    yield fake, url
    server.shutdown()
    server.server_close()


def test_a_connected_shopify_store_is_pulled_on_its_schedule_by_the_app(tmp_path, shopify, clock):
    fake, url = shopify
    core = core_over(tmp_path / "store.db")
    connect_shop(core.db, ShopConnection("corner", "shopify", url, every_minutes=0.002))  # every 0.12 s
    set_secret("shop:corner", "access_token", fake.token)
    job = "shop:corner"
    run_app_for(core, until=lambda: job in core.jobs and core.jobs.status(job).runs >= 3, then_s=0)
    status = core.jobs.status(job)
    assert core.db.scalar("SELECT count(*) FROM orders") == 30
    assert status.last_error == "" and status.last_result == "0 new, 0 updated"  # later runs only see changes
    assert len(fake.requests) >= 3
    core.close()


def test_a_failing_job_is_shown_with_its_error_and_tried_again_while_the_others_keep_running(tmp_path, shopify, clock):
    _fake, url = shopify
    core = core_over(tmp_path / "store.db")
    connect_shop(core.db, ShopConnection("corner", "shopify", url, every_minutes=0.002))  # no token saved
    seen = []

    async def main() -> None:
        core.start()
        await wait_until(lambda: core.jobs.status("shop:corner").runs >= 2)
        seen.extend(core.job_statuses())
        await core.stop()

    asyncio.run(main())
    statuses = {s.name: s for s in seen}
    assert statuses["shop:corner"].state == FAILED
    assert "No Shopify access token saved" in statuses["shop:corner"].last_error
    assert statuses["notifications"].state in (WAITING, "running") and statuses["notifications"].last_error == ""
    core.close()


def test_offline_the_sync_job_is_listed_as_off_with_the_reason(tmp_path, clock):
    core = ControlTower(Database(tmp_path / "store.db"), options=Options(offline=True, cadence=QUICK))
    run_app_for(core, then_s=0.1)
    sync = core.jobs.status("sync")
    assert sync.state == "off" and "offline" in sync.last_result
    core.close()


def test_the_daily_backup_runs_from_the_app_once_a_day(tmp_path, clock):
    cadence = Cadence(notifications=3600, notifications_first_after=3600, exceptions=3600, returns=3600, backup=0.05,
                      backup_first_after=0)
    core = ControlTower(Database(tmp_path / "store.db"), options=Options(sync=False, cadence=cadence))
    run_app_for(core, until=lambda: core.jobs.status("backup").runs >= 3, then_s=0)
    assert len(list((tmp_path / "backups").glob("*.db"))) == 1  # three runs, one backup: it is daily
    clock.shift(timedelta(hours=25))
    run_app_for(core, until=lambda: core.jobs.status("backup").runs >= 4, then_s=0)
    assert len(list((tmp_path / "backups").glob("*.db"))) == 2
    core.close()


def test_in_real_mode_the_app_runs_the_carrier_sync_process_with_the_shops_own_accounts(tmp_path, clock):
    core = ControlTower(Database(tmp_path / "store.db"), options=Options(cadence=QUICK))
    run_app_for(core, until=lambda: "sync" in core.jobs and core.jobs.status("sync").runs >= 1, then_s=0)
    sync = core.jobs.status("sync")
    assert sync.last_error == "" and sync.last_result == "online; 0 write(s) waiting"  # the child started and reported
    assert core.sync is None and sync.state == STOPPED  # stopped with the app
    core.close()


def test_a_shop_connected_in_settings_while_the_app_runs_is_pulled_at_once_and_forgotten_when_removed(
        tmp_path, shopify, clock, memory_keyring):
    from controltower.kernel.errors import InputError
    from controltower.services.shops import ShopConnection as Connection

    fake, url = shopify
    core = core_over(tmp_path / "store.db")
    with pytest.raises(InputError, match="Admin API access token is missing"):
        core.shops.save(Connection("corner", "shopify", url, 10), {})
    with pytest.raises(InputError, match="not an https:// address"):
        core.shops.save(Connection("corner", "shopify", "http://shop.example", 10), {"access_token": fake.token})

    async def main() -> None:
        core.start()
        view = core.shops.save(Connection("corner", "shopify", url, 10), {"access_token": fake.token})
        assert view.saved_keys == {"access_token": "…test"}  # masked: the key itself never leaves the keychain
        await wait_until(lambda: "shop:corner" in core.jobs and core.jobs.status("shop:corner").runs >= 1)
        core.shops.remove("corner")
        await wait_until(lambda: "shop:corner" not in core.jobs)
        await core.stop()

    asyncio.run(main())
    assert core.db.scalar("SELECT count(*) FROM orders") == 30  # pulled when connected, not at the next start
    assert core.shops.shops() == [] and not any("shop:corner" in name for _svc, name in memory_keyring.passwords)
    core.close()


def test_the_app_keeps_checking_the_exception_rules_so_a_delivery_that_becomes_late_is_raised(tmp_path, clock):
    from controltower.domain import ShipmentStatus

    cadence = Cadence(notifications=3600, notifications_first_after=3600, exceptions=0.05, returns=3600, backup=3600,
                      backup_first_after=3600)
    core = ControlTower(Database(tmp_path / "store.db"), options=Options(sync=False, cadence=cadence))
    facts = Facts(core.db)
    order = facts.order(ref="LATE-1", promised_end=NOON + timedelta(minutes=30))
    facts.shipment(order, status=ShipmentStatus.IN_TRANSIT, status_as_of=NOON - timedelta(minutes=10))
    late = "SELECT count(*) FROM exceptions WHERE kind = 'late' AND order_id = ? AND resolved_at IS NULL"
    assert core.db.scalar(late, (order,)) == 0
    clock.shift(timedelta(hours=2))  # nobody touched anything: time alone made it late
    run_app_for(core, until=lambda: core.jobs.status("exceptions").runs >= 2, then_s=0)
    assert core.db.scalar(late, (order,)) == 1
    assert core.jobs.status("exceptions").last_result.endswith("open")
    core.close()


def test_the_app_moves_a_return_on_when_its_shipment_is_collected(tmp_path, clock):
    from controltower.dispatch.returns import OWN_ROUTE
    from controltower.domain import ShipmentStatus
    from controltower.store.shipments import set_status

    cadence = Cadence(notifications=3600, notifications_first_after=3600, exceptions=3600, returns=0.05, backup=3600,
                      backup_first_after=3600)
    core = ControlTower(Database(tmp_path / "store.db"), options=Options(sync=False, cadence=cadence))
    order = Facts(core.db).order(ref="RT-1")
    case = core.dispatch.start_return(order, "wrong size", ["Boots 42"], OWN_ROUTE)
    with core.db.transaction() as conn:  # the van driver collected it (as the van's own tracking would say)
        set_status(conn, case.shipment_id, ShipmentStatus.RETURNING, reason="collected")
    assert core.db.scalar("SELECT status FROM returns WHERE id = ?", (case.id,)) == "requested"
    moved = []  # a run that moves a return says so on the hub; later runs (every 0.05 s here) find nothing to move
    core.hub.subscribe("shipments.changed", lambda _t, payload: moved.append(payload))
    run_app_for(core, until=lambda: moved, then_s=0.2)
    assert core.db.scalar("SELECT status FROM returns WHERE id = ?", (case.id,)) == "on_the_way"
    assert len(moved) == 1 and core.jobs.status("returns").runs >= 1
    core.close()


def test_stopping_the_app_waits_for_a_job_run_in_progress_so_nothing_writes_after_the_store_closes(tmp_path, clock):
    import threading

    from controltower.services.jobs import JobRunner, PeriodicJob

    started, finished = threading.Event(), []

    def slow_run() -> str:
        started.set()
        threading.Event().wait(0.5)  # a slow send or check, in its worker thread
        finished.append(True)
        return "done"

    runner = JobRunner()
    runner.add(PeriodicJob("slow", "Slow job", slow_run, 3600))

    async def main() -> None:
        runner.start()
        while not started.is_set():
            await asyncio.sleep(0.01)
        await runner.stop()
        assert finished == [True]  # stop() returned only after the run ended: the store may close now

    asyncio.run(main())
    assert runner.status("slow").state == STOPPED and runner.status("slow").last_result == "done"
