-- Schema version 11: the demand forecast (issue 21). Compact daily history, the shop's own closures and promotions,
-- the last forecast made, and a repeat rule per order (recurring deliveries).

-- Orders per shop day, delivery zone and delivery option, kept without the orders themselves: the demo's two years
-- of history, or a shop's past counts (forecast/history.py). Days that have real orders in `orders` are counted from
-- there instead.
CREATE TABLE demand_days (
    day TEXT NOT NULL,                  -- the shop's local date
    zone TEXT NOT NULL,                 -- a zone's name in the shop's delivery settings, or 'Outside our zones'
    option TEXT NOT NULL,               -- a DeliveryOption value
    orders INTEGER NOT NULL CHECK (orders >= 0),
    PRIMARY KEY (day, zone, option)
) WITHOUT ROWID;

-- The shop's own days: closed (holiday, stock-take) or a promotion (sale, newsletter); forecast/calendar.py.
CREATE TABLE shop_days (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,                  -- the shop's local date
    kind TEXT NOT NULL CHECK (kind IN ('closure', 'promotion')),
    name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX shop_days_day ON shop_days(day);

-- Forecasts as made by the refresh (forecast/reports.py): the area shows the newest; a few are kept.
CREATE TABLE forecast_reports (
    id INTEGER PRIMARY KEY,
    made_at TEXT NOT NULL,
    body TEXT NOT NULL                  -- the ForecastReport as JSON
);

-- RFC 5545 RRULE text ('FREQ=WEEKLY;BYDAY=FR'), '' for a one-off order. Its coming occurrences are known demand.
ALTER TABLE orders ADD COLUMN repeat_rule TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_repeating ON orders(repeat_rule) WHERE repeat_rule <> '';
