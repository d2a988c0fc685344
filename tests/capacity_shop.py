"""A one-van shop with four weeks of own-van deliveries, and forecasts made by hand, for the capacity plan tests."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from controltower.dispatch.settings import ShopSettings, Zone, save_settings
from controltower.domain import UTC, Address, DeliveryOption, GeoPoint, Money, Order, Shipment, TimeWindow
from controltower.forecast.model import Accuracy, DayForecast, ForecastReport, SeriesForecast, SeriesKey
from controltower.store import orders as order_store
from controltower.store import shipments as shipment_store

NOW = datetime(2026, 11, 24, 19, 30, tzinfo=UTC)  # Tuesday evening: the shop (in UTC) has closed
TOMORROW = date(2026, 11, 25)
SHOP = (45.5122, -122.6410)


def make_one_van_shop(store):
    """A shop with one van of 10 parcels and one driver, and four weeks of small own-van deliveries around it."""
    store.set_setting("shop.timezone", "UTC")
    save_settings(store, ShopSettings(shop_name="Corner Plants", timezone="UTC", shop_lat=SHOP[0], shop_lon=SHOP[1],
                                      zones=(Zone("Near", radius_km=5.0),), closed_weekdays=()))
    with store.transaction() as conn:
        conn.execute("INSERT INTO depots(id, name, lat, lon, opens_at, closes_at) VALUES (1, 'Shop', ?, ?, '07:00', '20:00')",
                     SHOP)
        conn.execute("INSERT INTO drivers(id, name) VALUES (1, 'Maria')")
        conn.execute("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g, shift_start, shift_end, "
                     "break_minutes, driver_id, depot_id) VALUES (1, 'Van 1', 10, 500000, '08:00', '18:00', 0, 1, 1)")
        orders = []
        for i in range(40):
            day = datetime(2026, 10, 29, tzinfo=UTC) + timedelta(days=i % 26)
            start = day + timedelta(hours=10 + 2 * (i % 4))
            orders.append(Order(f"#P{i:03d}", f"Customer {i}", Address(f"{i} Main St", "Portland", "97214"),
                                DeliveryOption.SCHEDULED, day - timedelta(hours=6),
                                location=GeoPoint(SHOP[0] + 0.004 * ((i * 7) % 9 - 4), SHOP[1] + 0.005 * ((i * 5) % 9 - 4)),
                                promised_window=TimeWindow(start, start + timedelta(hours=2)), parcels=1, weight_g=1000,
                                value=Money(3000)))
        ids = order_store.upsert_orders(conn, orders).ids
        for order in orders:
            shipment_store.create_shipment(conn, Shipment(order_id=ids[order.order_ref], carrier="own_fleet"))
    return store


WORDS = "Over the last 8 weeks we were off by 14 % a day, 27 % better than 'same weekday last week'."


def report_with(day: date, p50: float, p80: float, made_at: datetime = NOW) -> ForecastReport:
    """A forecast whose shop total expects p50 (median) and p80 orders on `day`, after four weeks of 6 a day."""
    forecast = DayForecast(day, p50, p80, lo80=p50 * 0.7, hi80=p80 * 1.1, lo95=p50 * 0.5, hi95=p80 * 1.3)
    history = tuple((day - timedelta(days=d), 6) for d in range(28, 0, -1))
    accuracy = Accuracy(0.14, 0.19, 27.0, 8, 56, 0.8, 0.95, WORDS)
    total = SeriesForecast(SeriesKey(), history, (forecast,), "ETS", accuracy=accuracy)
    return ForecastReport(made_at, 1, total, history_days=28)
