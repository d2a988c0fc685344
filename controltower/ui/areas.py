"""Builds the window's areas and wires them to each other; each area lives in its own module."""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from .backup_actions import BackupActions
from .context import AppContext
from .exports import ExportActions
from .orders import OrdersView
from .lazy import LazyArea
from .background_work import BackgroundWorkButton
from .sync_status import OutboxPanel, SyncStatusWidget
from .tasks import run_in_thread

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Hub events arrive on any thread; these signals bring them to the UI thread."""

    orders_changed = Signal(object)
    routes_changed = Signal()


class Areas(QObject):
    """The window's parts and the wiring between them (selection, refresh, menus)."""

    mapLoaded = Signal()  # the map page is up and today's stops are drawn

    def __init__(self, window: QWidget, context: AppContext) -> None:
        super().__init__(window)
        self.window, self.context = window, context
        self._relay = _Relay(self)
        self._own_vans: list = []
        self._couriers: list = []
        self._map_refreshing = self._map_refresh_again = False
        core = context.core
        self.orders = OrdersView(core.orders, deliveries=core.deliveries)
        self.map = self._build_map(context)
        self.kpis = self._build_kpis(context)
        self.exceptions = self._build_exceptions(context)
        self.routes = LazyArea(lambda: self._build_routes(context), "the route planner")
        self.dispatch = LazyArea(lambda: self._build_dispatch(context), "dispatch")
        self.forecast = LazyArea(lambda: self._build_forecast(context), "the forecast")
        self.sync_status = SyncStatusWidget(context.hub, offline=context.offline)
        self.background_work = BackgroundWorkButton(context.core.jobs, context.hub)
        self.outbox = OutboxPanel(core.outbox, context.hub)
        self.backups = BackupActions(window, core.backups, restore_at_exit=core.restore_at_exit)
        self.exports = ExportActions(window, core.exports, self.kpis)

    def _build_kpis(self, context: AppContext):
        from .kpis import KpiPanel

        panel = KpiPanel(context.core.kpis, columns=7, tables_apart=True)
        panel.kpiClicked.connect(self._kpi_clicked)
        return panel

    def _build_exceptions(self, context: AppContext):
        from .exceptions import ExceptionQueueView

        self.control = context.core.control
        self.engine = context.core.exceptions
        view = ExceptionQueueView(self.control, self.engine, notifications=context.core.notifications,
                                  carrier_names=context.core.orders.carrier_names)
        view.orderActivated.connect(self._show_order)
        view.actionDone.connect(lambda text: self.window.statusBar().showMessage(text, 10_000))
        return view

    def _build_routes(self, context: AppContext):
        from .routes import RoutesView

        self.routing = context.core.routing
        view = RoutesView(self.routing, deliveries=context.core.deliveries)
        view.follow(context.hub)
        return view

    def _build_dispatch(self, context: AppContext):
        from .dispatch import DispatchView

        view = DispatchView(self.dispatching)
        view.follow(context.hub)
        view.refresh()
        return view

    def _build_forecast(self, context: AppContext):
        from .forecast import ForecastView

        core = context.core
        view = ForecastView(core.forecast, core.capacity, core.refresh_forecast_now,
                            lambda: core.jobs.status("forecast") if "forecast" in core.jobs else None)
        view.follow(context.hub)
        view.reload()
        return view

    @property
    def dispatching(self):
        """The dispatch service, made when first needed (it loads the label and solver libraries)."""
        return self.context.core.dispatch

    def _kpi_clicked(self, kpi_filter) -> None:
        if kpi_filter.target == "exceptions":
            self.window.docks["exceptions"].show()
            self.exceptions.show_filter(kpi_filter.kinds, kpi_filter.since, kpi_filter.until)
            return
        self.window.docks["work"].show()
        self.window.work_tabs.setCurrentWidget(self.orders)
        self.orders.model.set_query(kpi_filter.order_query())

    def _show_order(self, order_id: int) -> None:
        self.window.docks["work"].show()
        self.window.work_tabs.setCurrentWidget(self.orders)
        self.orders.select_order(order_id)
        self.map.select_orders([order_id])

    def _build_map(self, context: AppContext):
        from .map import MapView

        tiles = None
        if not context.offline:
            try:
                tiles = context.core.map.tiles()
            except Exception:  # a broken tile cache must not cost the user the map: it falls back to the bundled background
                log.exception("tile cache could not be opened; the map shows its offline background")
        view = MapView(tiles)
        view.ready.connect(self.refresh_map)
        from .map.actions import MapActions

        self.map_actions = MapActions(self.window, context, view)  # the Map menu; the area's streets, offline
        return view

    def refresh_map(self) -> None:
        """Today's map re-read in a worker, which also works out what changed: only that reaches the page, so an
        open popup, the selection and the view stay. Refreshes asked for while one runs become one more after it."""
        if self._map_refreshing:
            self._map_refresh_again = True
            return
        self._map_refreshing = True
        maps, state = self.context.core.map, self.map.state

        def finished() -> None:
            self._map_refreshing = False
            if self._map_refresh_again:
                self._map_refresh_again = False
                self.refresh_map()

        def show(changes) -> None:
            self._own_vans = changes.day.vehicles
            self.map.show_day(changes, vehicles=list(self._own_vans) + self._couriers)
            self.map.when_drawn(lambda _drawn: self.mapLoaded.emit())  # the stops and the area's streets are on it
            finished()

        def failed(exc: BaseException) -> None:
            log.error("map refresh failed: %s", exc)
            finished()

        run_in_thread(lambda: state.plan(maps.day()), show, failed)

    def connect(self) -> None:
        """Cross-area wiring, once every area exists."""
        hub = self.context.hub
        relay = self._relay
        self.orders.follow(hub)  # the Orders view re-reads changed orders itself; the map follows here
        relay.orders_changed.connect(lambda _ids: self.refresh_map())
        relay.routes_changed.connect(self.refresh_map)  # the Routes view, once built, follows the hub itself
        hub.subscribe("orders.changed", lambda _t, p: relay.orders_changed.emit(p.get("ids")))
        hub.subscribe("shipments.changed", lambda _t, p: relay.orders_changed.emit(None))
        hub.subscribe("routes.changed", lambda _t, p: relay.routes_changed.emit())
        self.map.stopClicked.connect(self._map_clicked)
        self.map.stopMoved.connect(self._map_moved)
        self.orders.ordersSelected.connect(self.map.select_orders)
        self.sync_status.open_queue_requested.connect(self._show_outbox)
        self._start_courier_positions()
        self.exceptions.watch(hub)  # the app's exception-check job re-runs the rules; the view follows its results
        self.exceptions.refresh_rules()
        self.place_orders()  # orders that came in without a position (e.g. from a shop sync) get one
        from .setup import install

        self.empty_states = install(self)  # and the setup assistant, on a real store's first start
        self.kpis.refresh()

    def _show_outbox(self) -> None:
        self.window.docks["work"].show()
        self.window.work_tabs.setCurrentWidget(self.outbox)

    def _start_courier_positions(self) -> None:
        """Demo mode: the sandbox couriers drive along on the map, next to the shop's own vans."""
        core = self.context.core
        if not core.demo:
            return
        from PySide6.QtCore import QTimer

        from ..domain.timeutil import to_iso, utcnow
        from ..maps.features import VehicleFeature

        def positions():
            seen = to_iso(utcnow())
            return [VehicleFeature(vehicle_id=1_000_000 + i, name=f"{p['company']} courier ({p['status'].replace('_', ' ')})",
                                   lat=p["lat"], lon=p["lng"], last_seen=seen, color="#6d4c41")
                    for i, p in enumerate(core.courier_positions())]

        def show(couriers) -> None:
            self._couriers = couriers
            self.map.set_vehicles(list(self._own_vans) + couriers)

        self._courier_timer = QTimer(self, interval=3000)
        self._courier_timer.timeout.connect(lambda: run_in_thread(positions, show))
        self._courier_timer.start()

    def _map_clicked(self, order_id: int) -> None:
        self.window.docks["work"].show()
        self.window.work_tabs.setCurrentWidget(self.orders)
        self.orders.select_order(order_id)

    def _map_moved(self, order_id: int, lat: float, lon: float) -> None:
        """The user dragged a stop and confirmed: save the corrected position, with an audit entry."""
        try:
            self.context.core.placing.move_pin(order_id, lat, lon)
        except Exception as exc:  # shown, never swallowed
            self.window.statusBar().showMessage(f"The pin could not be moved: {exc}", 15_000)

    def refresh(self) -> None:
        self.orders.refresh()
        self.refresh_map()
        self.kpis.refresh()
        if self.dispatch.widget is not None:
            self.dispatch.widget.refresh()

    def loading(self) -> dict[str, Signal]:
        """Areas still loading at start-up, by name, with the signal each emits when ready."""
        return {"map": self.mapLoaded, "exceptions": self.exceptions.rulesChecked, "kpis": self.kpis.updated}

    def status_widgets(self) -> list[QWidget]:
        return [self.background_work, self.sync_status]

    def file_actions(self) -> list[tuple]:
        backups = self.backups
        return [
            ("&Import orders…", self.import_orders, "Ctrl+I", "Bring in orders from a CSV or Excel export"),
            ("Back up &now", backups.back_up_now, None, "Copy the store to the backups folder now"),
            ("&Restore…", backups.restore, None, "Replace the store with a backup (the current file is kept)"),
            ("E&xport settings…", backups.export_settings, None, "Save settings (never keys or passwords) to a file"),
            ("&Import settings…", backups.import_settings, None, "Load settings saved with Export settings"),
        ]

    def export_actions(self) -> list[tuple]:
        """File > Export: orders, shipments, routes, exceptions, and the KPIs of the period the panel shows."""
        return self.exports.actions()

    def edit_actions(self) -> list[tuple]:
        return [("&New order…", self.new_order, "Ctrl+N", "Take a phone or counter order"),
                ("Carrier &accounts…", self.carrier_settings, "Ctrl+,", "Add carrier keys and test the connection"),
                ("&Shops…", self.shop_settings, None, "Connect your Shopify or WooCommerce store: its orders come in by themselves"),
                ("Se&ttings…", lambda: self.settings(), None, "The shop, hours, depot, vans and drivers, email and SMS, delivery zones"),
                ("Setup &assistant…", self.setup_assistant, None, "Walk through setting the shop up again")]

    def settings(self, page: str = "shop"):
        from .setup import open_settings

        return open_settings(self.window, self.context.core, page)

    def setup_assistant(self):
        from .setup import open_setup_assistant

        return open_setup_assistant(self.window, self.context.core)

    def shop_settings(self) -> None:
        from .settings.shops import ShopsDialog

        dialog = ShopsDialog(self.context.core.shops, self.window)
        dialog.open()

    def new_order(self) -> None:
        from .dispatch import NewOrderDialog

        dialog = NewOrderDialog(self.dispatching, self.window, ratings=self.context.core.ratings)
        dialog.open()

    def carrier_settings(self) -> None:
        from .settings import CarrierSettingsDialog

        dialog = CarrierSettingsDialog(self.window, self.context.core.accounts)
        dialog.open()

    def import_orders(self) -> None:
        from .imports import ImportWizard

        wizard = ImportWizard(self.window, self.context.core.imports)
        wizard.imported.connect(lambda _report: self.place_orders())
        wizard.open()

    def place_orders(self) -> None:
        """Give every open order without a position one (cache, then the user's geocoder, then offline postcodes).

        Runs in a worker with its own event loop; orders that can't be placed are then raised as address problems
        by the exception rules."""
        import asyncio

        placing = self.context.core.placing

        def work():
            return asyncio.run(placing.place_new_orders())  # in a worker thread, with an event loop of its own

        def done(report) -> None:
            self.context.hub.publish("orders.changed", ids=None)
            self.exceptions.refresh_rules()
            unplaced = report.unplaced
            if unplaced:
                self.window.statusBar().showMessage(f"{unplaced} address(es) could not be placed: see Needs attention", 15_000)

        run_in_thread(work, done, lambda exc: log.error("placing orders failed: %s", exc))

    def help_actions(self) -> list[tuple]:
        return [("Open &logs folder", self.open_logs_folder, None, "Show the log files to send to support")]

    def open_logs_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from ..logs import log_folder

        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def shutdown(self) -> None:
        """Stop what runs in the background (a solver process, timers) before the window goes."""
        if self.routes.widget is not None:
            self.routes.widget.shutdown()
        timer = getattr(self, "_courier_timer", None)
        if timer is not None:
            timer.stop()


def build_areas(window: QWidget, context: AppContext) -> Areas:
    return Areas(window, context)
