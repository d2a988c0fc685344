"""Which module writes each table: everybody else calls that module's named functions (tests/test_table_owners.py checks)."""
from __future__ import annotations

# A second writer drifts: one once wrote outbox rows the sync engine could not read. Tables filled only by the
# schema's triggers, and the schema's own bookkeeping, belong to the migrations.
MIGRATIONS = "controltower.store.migrations"

OWNERS: dict[str, str] = {
    "orders": "controltower.store.orders",
    "order_lines": "controltower.store.orders",
    "orders_fts": "controltower.store.orders",
    "shipments": "controltower.store.shipments",
    "tracking_events": "controltower.store.shipments",
    "outbox": "controltower.sync.outbox",
    "carrier_budget": "controltower.sync.gate",
    "routes": "controltower.routing.plans",
    "stops": "controltower.routing.plans",
    "route_plans": "controltower.routing.plans",
    "travel_matrix_cache": "controltower.routing.service",
    "carrier_accounts": "controltower.store.carrier_accounts",
    "audit_log": "controltower.store.audit",
    "settings": "controltower.store.settings",
    "notifications": "controltower.control.notify.outbox",
    "customer_optouts": "controltower.control.notify.outbox",
    "exceptions": "controltower.control.case_store",
    "exception_actions": "controltower.control.case_store",
    "kpi_days": "controltower.control.kpi_cache",
    "kpi_changes": MIGRATIONS,
    "quotes": "controltower.dispatch.rates",
    "returns": "controltower.dispatch.returns",
    "dispatch_bookings": "controltower.dispatch.booking",
    "depots": "controltower.store.fleet",
    "drivers": "controltower.store.fleet",
    "vehicles": "controltower.store.fleet",
    "routing_order_needs": "controltower.store.fleet",
    "geocode_cache": "controltower.geocoding.cache",
    "tiles": "controltower.maps.tiles",  # the map's tile file (MBTiles), not the store
    "tile_freshness": "controltower.maps.tiles",
    "metadata": "controltower.maps.tiles",
    "schema_migrations": MIGRATIONS,
    "address_points": "controltower.area.address_build",  # the area package's addresses.db, not the store
    "address_streets": "controltower.area.address_build",
    "address_postcodes": "controltower.area.address_build",
    "address_meta": "controltower.area.address_build",
    "rating_consents": "controltower.control.ratings.store",
    "rating_requests": "controltower.control.ratings.store",
    "ratings": "controltower.control.ratings.store",
    "rating_replies": "controltower.control.ratings.store",
    "demand_days": "controltower.forecast.history",
    "shop_days": "controltower.forecast.calendar",
    "forecast_reports": "controltower.forecast.reports",
    "webhook_endpoints": "controltower.api.webhook_store",
    "webhook_outbox": "controltower.api.webhook_store",
    "webhook_attempts": "controltower.api.webhook_store",
    "webhook_seen": "controltower.api.webhook_store",
    "webhook_cursors": "controltower.api.webhook_store",
}
