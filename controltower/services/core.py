"""The application object: one per open store, built in one place at start-up (Anki's Collection is the model).

It owns the database, the event hub, every service and every background job, and starts and stops them with
the app, in demo and real mode alike. Windows, the CLI and scripts talk to it; nothing else builds services.

    core = ControlTower.open(path, demo=True)   # or ControlTower(db, ...) over an open Database
    core.start()                                # on a running asyncio loop: background jobs begin
    core.control.rebook(...); core.jobs.statuses()
    await core.stop(); core.close()
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from ..domain.timeutil import utcnow
from ..kernel.events import EventHub
from ..store import Database
from .jobs import JobRunner, JobStatus, PeriodicJob, ServiceJob, event_loop

log = logging.getLogger(__name__)

DEMO_SPEED = 10.0  # sandbox minutes per real minute: couriers visibly move without running ahead of the day


@dataclass(frozen=True)
class Cadence:
    """How often each periodic job runs, in seconds (tests shorten them)."""

    notifications: float = 10.0
    notifications_first_after: float = 3.0  # after the window's first paint, not competing with it
    exceptions: float = 60.0
    returns: float = 300.0
    backup: float = 3600.0
    backup_first_after: float = 5.0
    store_check: float = 86400.0  # SQLite's full integrity check, daily; the quick one runs at every open
    store_check_first_after: float = 600.0
    shop_default_minutes: float = 10.0
    webhooks: float = 5.0
    forecast_check: float = 600.0  # is a shop day closed since the last forecast? (the refresh itself is a child process)
    forecast_first_after: float = 15.0
    ratings: float = 120.0  # customers' replies: the SMS provider's message list and the shop's mailbox
    ratings_first_after: float = 20.0


@dataclass
class Options:
    """How the app was started and what tests or scripts put in place of the real parties."""

    demo: bool = False
    offline: bool = False
    sync: bool = True  # run the carrier sync engine (off in tests that drive the engine themselves)
    cadence: Cadence = field(default_factory=Cadence)
    notification_channels: dict | None = None  # None: the channels the shop set up (SMTP, Twilio) or the demo mailbox
    clock: Callable[[], datetime] = utcnow


class ControlTower:
    """The store, the hub, the services and the background jobs of one open store."""

    def __init__(self, db: Database, *, hub: EventHub | None = None, options: Options | None = None,
                 data_dir: Path | None = None) -> None:
        self.db = db
        self.hub = hub or EventHub()
        self.options = options or Options()
        self.data_dir = data_dir or db.path.parent
        self.clock = self.options.clock
        self.jobs = JobRunner(self.hub)
        self._dispatch = self._routing = self._forecast = None
        self.sync = None  # the running sync engine (DemoSync in demo mode), once started
        self._exception_engine = None
        self._capacity = None
        self.pending_restore = None  # a checked backup to put in the store's place at exit (restore_at_exit)
        self._demo_extract: Path | None = None  # the demo city's extract while its area package is still to be built
        self._build_services()

    # ------------------------------------------------------------------ building
    @classmethod
    def open(cls, path: Path, *, demo: bool = False, seed: int = 7, offline: bool = False,
             hub: EventHub | None = None, demo_city: str = "portland") -> "ControlTower":
        """Open (in demo mode: first generate, in `demo_city`) the store at `path` and build everything over it."""
        if demo:
            from ..demo import generate

            summary = generate(path, seed=seed, city_key=demo_city)
            log.info("demo store %s: %d orders today, %d in history", path, summary.today_orders, summary.history_orders)
        core = cls(Database(path), hub=hub, options=Options(demo=demo, offline=offline))
        if demo:
            core._use_demo_streets(demo_city)
        return core

    def _use_demo_streets(self, city_key: str) -> None:
        """The demo city's real streets: its extract's area package (built once into the data folder, kept across
        demo starts) becomes the shop's area now when it is there; otherwise the 'Demo streets' job builds it."""
        from ..area.package import installed, slug_for
        from ..demo.cities import CITIES

        extract = CITIES[city_key].extract
        if extract is None:
            return
        for package in installed(self.data_dir):
            if package.slug == slug_for(extract) and package.source_size == extract.stat().st_size \
                    and _built_by_this_version(package):
                self.area.use(package)
                return
        self._demo_extract = extract

    @property
    def store_path(self) -> Path:
        return self.db.path

    def shop_name(self) -> str:
        return self.db.get_setting("shop.name") or "my shop"

    @property
    def demo(self) -> bool:
        return self.options.demo

    @property
    def offline(self) -> bool:
        return self.options.offline

    def _build_services(self) -> None:
        """The light services, made now; dispatch, routing and the exception rules are made when first used."""
        from ..control.actions import ControlService
        from ..control.kpis import KpiService
        from .accounts import AccountsService
        from .area import AreaService
        from .backups import BackupService
        from .deliveries import DeliveryService
        from .exports import ExportService
        from .imports import ImportService
        from .map import MapService
        from .notifications import NotificationService
        from .orders import OrdersService
        from .outbox import OutboxService
        from .placing import PlacingService
        from .setup import SetupService
        from .shops import ShopsService

        db, hub = self.db, self.hub
        from .forecast_refresh import ForecastRefresh

        self.forecast_refresh = ForecastRefresh(db, hub, clock=self.clock)  # the forecast job's work (issue 21)
        self.orders = OrdersService(db, hub)
        self.accounts = AccountsService(db, hub)
        self.deliveries = DeliveryService(db, hub, clock=self.clock)
        self.placing = PlacingService(db, hub)
        self.map = MapService(db, hub)
        self.control = ControlService(db, hub=hub)
        self.kpis = KpiService(db)
        self.notifications = NotificationService(db, hub)
        self.outbox = OutboxService(db, hub)
        self.backups = BackupService(db, hub)
        self.imports = ImportService(db, hub)
        self.exports = ExportService(db, hub)
        self.shops = ShopsService(db, on_change=self._shop_changed)
        self.setup = SetupService(db, hub)
        self.area = AreaService(db, hub, self.data_dir)  # the shop's offline area: basemap, addresses, roads
        from .extracts import ExtractDownloads

        self.extracts = ExtractDownloads(self.data_dir, offline=self.offline)  # an area's extract, downloaded once
        from ..api.tokens import ApiTokens
        from ..api.webhooks import WebhookService

        self.api_tokens, self.webhooks = ApiTokens(db), WebhookService(db, hub, clock=self.clock)
        from .integrations import IntegrationsService
        from .ratings import RatingsService

        self.integrations = IntegrationsService(db, self.api_tokens, self.webhooks,  # Settings > Local API, Webhooks
                                                on_api_change=self._api_changed)
        self.ratings = RatingsService(db, hub, clock=self.clock)

    @property
    def capacity(self):
        """The capacity plan from the forecast (vans, couriers, slot caps), made when first asked for."""
        if self._capacity is None:
            from .capacity import CapacityService

            self._capacity = CapacityService(self.db)
        return self._capacity

    @property
    def exceptions(self):
        """The exception rules engine (its own read connection)."""
        if self._exception_engine is None:
            from ..control.engine import ExceptionEngine

            self._exception_engine = ExceptionEngine(self.db, hub=self.hub, clock=self.clock)
        return self._exception_engine

    @property
    def dispatch(self):
        """Dispatch, made when first needed (it loads the label and solver libraries)."""
        if self._dispatch is None:
            from ..dispatch.service import DispatchService

            self._dispatch = DispatchService(self.db, hub=self.hub, clock=self.clock, area_package=self.area.current)
        return self._dispatch

    @property
    def routing(self):
        if self._routing is None:
            from ..routing.service import RoutingService

            self._routing = RoutingService(self.db, hub=self.hub, area_package=self.area.current)
        return self._routing

    # ------------------------------------------------------------------ background work
    @property
    def forecast(self):
        """The demand forecast (issue 21), made when first used: it loads numpy and the holiday calendar.
        latest() is a cheap read; refresh() is heavy, run it in a worker or child process."""
        if self._forecast is None:
            from .forecast import ForecastService

            self._forecast = ForecastService(self.db, self.hub, clock=self.clock)
        return self._forecast

    def start(self) -> None:
        """Start every background job on the running asyncio loop (again after `stop()`, with the same jobs)."""
        if not self.jobs.names():
            self._add_jobs()
        self.jobs.start()

    def _add_jobs(self) -> None:
        cadence = self.options.cadence
        self._add_sync_job()
        self.jobs.add(PeriodicJob("notifications", "Customer messages", self._send_notifications,
                                  cadence.notifications, first_after=cadence.notifications_first_after, clock=self.clock))
        # The exception queue checks the rules as it opens; this job keeps checking (time alone makes deliveries late).
        self.jobs.add(PeriodicJob("exceptions", "Exception checks", self._refresh_exceptions, cadence.exceptions,
                                  first_after=cadence.exceptions, clock=self.clock))
        self.jobs.add(PeriodicJob("returns", "Returns refresh", self._refresh_returns, cadence.returns,
                                  first_after=cadence.returns, clock=self.clock))
        self.jobs.add(PeriodicJob("backup", "Daily backup", self._daily_backup, cadence.backup,
                                  first_after=cadence.backup_first_after, clock=self.clock))
        self.jobs.add(PeriodicJob("store-check", "Store check", self._check_store, cadence.store_check,
                                  first_after=cadence.store_check_first_after, clock=self.clock))
        self.jobs.add(PeriodicJob("forecast", "Forecast and van plan", self.forecast_refresh.run_if_due,
                                  cadence.forecast_check, first_after=cadence.forecast_first_after, clock=self.clock))
        self.jobs.add(PeriodicJob("ratings", "Customer ratings", self.ratings.read_replies, cadence.ratings,
                                  first_after=cadence.ratings_first_after, clock=self.clock))
        self._add_shop_jobs()
        if self._demo_extract is not None:
            self.jobs.add(PeriodicJob("demo-streets", "Demo streets", self._build_demo_streets, 365 * 86400.0,
                                      clock=self.clock))
        from ..api.jobs import add_api_jobs

        add_api_jobs(self)

    def _add_sync_job(self) -> None:
        if not self.options.sync:
            return
        if self.offline:
            self.jobs.add_off("sync", "Carrier sync", "offline: bookings wait in the queue until you are back online")
            return
        job = ServiceJob("sync", "Carrier sync", self._start_sync, self._stop_sync, clock=self.clock)
        self.jobs.add(job)

        def on_state(_topic: str, payload: dict) -> None:
            errors = payload.get("errors") or ()
            queue = payload.get("queue", 0)
            online = payload.get("online", True)
            result = f"{'online' if online else 'carriers unreachable'}; {queue} write(s) waiting"
            job.report(result=result, error=(str(errors[-1]) if errors and not online else ""))

        self.hub.subscribe("sync.state", on_state)

    def _start_sync(self) -> None:
        if self.demo:
            from ..demo.sync import DemoSync

            self.sync = DemoSync(self.db, self.hub, speed=DEMO_SPEED)
        else:
            from ..sync.process import ProcessSyncEngine

            self.sync = ProcessSyncEngine(self.db.path, self.hub,
                                          adapters_factory="controltower.sync.accounts:enabled_adapters")
        self.sync.start()

    async def _stop_sync(self) -> None:
        if self.sync is not None:
            await self.sync.stop()
            self.sync = None

    def _notification_sender(self):
        if getattr(self, "_sender", None) is None:
            from ..control.notify.sender import NotificationSender, channels_from_settings
            from ..control.notify.triggers import StatusNotifier

            channels = self.options.notification_channels
            if channels is None:
                channels = channels_from_settings(self.db)
                if self.demo and not channels:
                    from ..control.notify.mailbox import MailboxChannel

                    mailbox = MailboxChannel(self.data_dir / "sent-messages")
                    channels = {"email": mailbox, "sms": mailbox}
            self._sender = NotificationSender(self.db, channels, clock=self.clock, hub=self.hub,
                                              status_notifier=StatusNotifier(self.db))
        return self._sender

    def _send_notifications(self) -> str:
        summary = self._notification_sender().run_once()
        return (f"{summary.sent} sent, {summary.retrying} to retry, {summary.failed} failed, "
                f"{summary.deferred} held")

    def _refresh_exceptions(self) -> str:
        result = self.exceptions.refresh(self.clock())
        return f"{result.opened} new, {result.resolved} closed themselves, {result.still_open} open"

    def _refresh_returns(self) -> str:
        from ..dispatch.returns import refresh_returns

        with self.db.transaction() as conn:
            changed = refresh_returns(conn)
        if changed:
            self.hub.publish("shipments.changed", ids=[])
        return f"{changed} return(s) moved on"

    async def _build_demo_streets(self) -> str:
        """The first demo start builds the demo city's area package (basemap, addresses, road graph) in a child
        process; the map, the addresses and the routes use it as soon as it is there (area.built)."""
        import asyncio

        if self._demo_extract is None:
            return "the demo's streets are in place"
        ended: asyncio.Future = asyncio.get_running_loop().create_future()

        def on_end(topic: str, payload: dict) -> None:  # published on this loop by the build's watcher
            if not ended.done():
                ended.set_result((topic, payload))

        unsubscribe = [self.hub.subscribe(topic, on_end) for topic in ("area.built", "area.failed", "area.cancelled")]
        try:
            self.area.start_build(self._demo_extract)
            topic, payload = await ended
        except asyncio.CancelledError:  # the app is closing: the build's child process ends with it
            self.area.cancel()
            raise
        finally:
            for stop in unsubscribe:
                stop()
        if topic != "area.built":
            raise RuntimeError(f"the demo's streets could not be built: {payload.get('message', topic)}; "
                               "the map shows plain markers and travel is estimated in straight lines")
        self._demo_extract = None
        return f"the demo's streets are built ({payload.get('name', '')})"

    def _daily_backup(self) -> str:
        made = self.backups.daily_if_due(now=self.clock())
        return f"backed up to {made.name}" if made else "today's backup is already there"

    def _check_store(self) -> str:
        from ..store.problems import StoreDamaged

        try:
            self.db.full_check()  # damage found: every later write is refused, and the error shows in Background work
        except StoreDamaged as exc:
            self.hub.publish("store.damaged", message=str(exc))
            raise
        return "the store passed SQLite's full integrity check"

    def _add_shop_jobs(self) -> None:
        from .shops import shop_connections

        for connection in shop_connections(self.db):
            self._add_shop_job(connection)

    def _add_shop_job(self, connection) -> None:
        from .shops import shop_sync_for

        name, title = f"shop:{connection.name}", f"{connection.platform.title()} orders: {connection.name}"
        if self.offline:
            self.jobs.add_off(name, title, "offline")
            return
        try:
            sync = shop_sync_for(self.db, connection, self.hub)
        except Exception as exc:  # a connection that can't be built is shown, not fatal
            self.jobs.add_off(name, title, f"not set up: {exc}")
            return
        minutes = connection.every_minutes or self.options.cadence.shop_default_minutes

        async def pull() -> str:
            result = await sync.pull()
            return f"{result.imported} new, {result.updated} updated"

        self.jobs.add(PeriodicJob(name, title, pull, minutes * 60, clock=self.clock))

    def _shop_changed(self, name: str, connection) -> None:
        """Settings > Shops changed a connection: its pull job is replaced (or removed) at once, not at the next start."""
        if not self.jobs.started:
            return

        async def replace_job() -> None:
            await self.jobs.remove(f"shop:{name}")
            if connection is not None:
                self._add_shop_job(connection)

        event_loop().create_task(replace_job())

    def _api_changed(self) -> None:
        """Settings > Local API changed: its job is replaced at once (started, moved or stopped), not at the next start."""
        if not self.jobs.started:
            return

        async def replace_job() -> None:
            from ..api.jobs import add_local_api_job

            await self.jobs.remove("local-api")
            add_local_api_job(self)

        event_loop().create_task(replace_job())

    def job_statuses(self) -> list[JobStatus]:
        return self.jobs.statuses()

    def courier_positions(self) -> list[dict]:
        """Demo mode: where the sandbox couriers are now ({company, status, lat, lng}); empty otherwise."""
        sync = self.sync
        network = getattr(sync, "network", None)
        if network is None:
            return []
        return list(network.world.courier_positions())

    def refresh_forecast_now(self) -> None:
        """'Refresh now' in the forecast area: the forecast job runs at once, whether or not a day has closed."""
        self.forecast_refresh.ask()
        if "forecast" in self.jobs:
            self.jobs["forecast"].run_soon()

    async def stop(self) -> None:
        """Stop every background job (the sync engine last started, first stopped)."""
        self.forecast_refresh.cancel()  # a refresh's child process is ended, not waited for
        await self.jobs.stop()

    def restore_at_exit(self, path: Path):
        """File > Restore and the damaged-store alert: the backup at `path` is checked now (a bad file is refused
        before anything changes) and put in the store's place as the app exits, after every job has stopped: a job
        writing during the swap would write into the file being set aside. The app then starts again on it."""
        self.pending_restore = self.backups.inspect(Path(path))
        return self.pending_restore

    def finish_pending_restore(self) -> Path | None:
        """After `stop()`: the pending backup goes in the store's place (the store closes); returns where the old
        file was kept, or None when no restore was asked for."""
        info, self.pending_restore = self.pending_restore, None
        return None if info is None else self.backups.restore(info.path)

    def close(self) -> None:
        self.area.close()  # a running area build ends, and its watcher stops saving pins, before the store closes
        if self._exception_engine is not None:
            self._exception_engine.close()
        if self._dispatch is not None and hasattr(self._dispatch, "close"):
            try:
                self._dispatch.close()
            except Exception:
                log.exception("closing dispatch failed")
        self.db.close()

def _built_by_this_version(package) -> bool:
    """Every part there and in the layout this version reads (a package from an older build is built again)."""
    from ..area.address_build import VERSION as ADDRESSES_VERSION
    from ..area.roads import GRAPH_VERSION

    parts = package.parts
    return ({"addresses", "roads", "basemap"} <= set(parts) and parts["roads"].get("version") == GRAPH_VERSION
            and parts["addresses"].get("version") == ADDRESSES_VERSION)
