-- Schema version 8: the KPI panel's per-day aggregates kept in the store, so a restart reuses them, and the change
-- log that says which days they no longer match.

-- One family's rows for one UTC day (control/kpi_cache.py), as computed when the change log stood at as_of_change.
CREATE TABLE kpi_days (
    family TEXT NOT NULL,
    day TEXT NOT NULL,                  -- UTC date
    version TEXT NOT NULL,              -- the family's row shape; rows of another version are never used
    as_of_change INTEGER NOT NULL,      -- max(kpi_changes.seq) read before computing
    rows_json TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (family, day)
) WITHOUT ROWID;

-- The last change to what a topic's KPIs read, per UTC day ('*': every day). A stored day is stale when its topic
-- changed on that day (or on '*') after its as_of_change. Bounded: one row per topic and day.
-- Topics: ship_done (delivered/returned shipments by status_as_of), ship_created (the scorecard, by shipments.created_at),
-- failed_event (failed-attempt scans by event_time), case_opened, case_resolved, message (notifications by created_at),
-- fleet (routes by plan_date).
CREATE TABLE kpi_changes (
    topic TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (topic, day)
) WITHOUT ROWID;
CREATE INDEX kpi_changes_seq ON kpi_changes(seq);

-- Triggers write (topic, timestamp) here; the day is the timestamp's date. NULL timestamps touch nothing.
CREATE VIEW kpi_touch(topic, at) AS SELECT topic, day FROM kpi_changes WHERE 0;
CREATE TRIGGER kpi_touch_insert INSTEAD OF INSERT ON kpi_touch WHEN new.at IS NOT NULL
BEGIN
    INSERT INTO kpi_changes(topic, day, seq)
    VALUES (new.topic, substr(new.at, 1, 10), (SELECT COALESCE(max(seq), 0) + 1 FROM kpi_changes))
    ON CONFLICT(topic, day) DO UPDATE SET seq = excluded.seq;
END;

-- Triggers name a shipment, or every shipment of an order, here: that touches the scorecard day it was booked on,
-- and with done = 1 also the day it was delivered or returned on.
CREATE VIEW kpi_touch_shipments(shipment_id, order_id, done) AS SELECT NULL, NULL, NULL WHERE 0;
CREATE TRIGGER kpi_touch_shipments_insert INSTEAD OF INSERT ON kpi_touch_shipments
BEGIN
    INSERT INTO kpi_touch SELECT 'ship_created', created_at FROM shipments WHERE id = new.shipment_id
        UNION ALL SELECT 'ship_created', created_at FROM shipments WHERE order_id = new.order_id
        UNION ALL SELECT 'ship_done', status_as_of FROM shipments WHERE new.done AND id = new.shipment_id
        UNION ALL SELECT 'ship_done', status_as_of FROM shipments WHERE new.done AND order_id = new.order_id;
END;

-- Shipments: the delivered/returned families (by status_as_of, old and new day) and the scorecard (by created_at).
CREATE TRIGGER kpi_shipments_insert AFTER INSERT ON shipments
BEGIN
    INSERT INTO kpi_touch SELECT 'ship_done', new.status_as_of WHERE new.status IN ('delivered', 'returned')
        UNION ALL SELECT 'ship_created', new.created_at;
END;
CREATE TRIGGER kpi_shipments_done AFTER UPDATE ON shipments
WHEN (old.status IN ('delivered', 'returned') OR new.status IN ('delivered', 'returned'))
 AND (old.status, old.status_as_of, old.kind, old.carrier, old.order_id, old.promised_by, old.cost_minor)
     IS NOT (new.status, new.status_as_of, new.kind, new.carrier, new.order_id, new.promised_by, new.cost_minor)
BEGIN
    INSERT INTO kpi_touch VALUES ('ship_done', old.status_as_of), ('ship_done', new.status_as_of);
END;
CREATE TRIGGER kpi_shipments_created AFTER UPDATE ON shipments
WHEN (old.status, old.status_as_of, old.kind, old.carrier, old.order_id, old.promised_by, old.cost_minor,
      old.quoted_cost_minor, old.created_at)
     IS NOT (new.status, new.status_as_of, new.kind, new.carrier, new.order_id, new.promised_by, new.cost_minor,
      new.quoted_cost_minor, new.created_at)
BEGIN
    INSERT INTO kpi_touch VALUES ('ship_created', old.created_at), ('ship_created', new.created_at);
END;
CREATE TRIGGER kpi_shipments_delete AFTER DELETE ON shipments
BEGIN
    INSERT INTO kpi_touch VALUES ('ship_done', old.status_as_of), ('ship_created', old.created_at);
END;

-- Orders: the promise, parcels, order time and option feed their shipments' days.
CREATE TRIGGER kpi_orders_update AFTER UPDATE OF promised_end, parcels, created_at, delivery_option ON orders
WHEN (old.promised_end, old.parcels, old.created_at, old.delivery_option)
     IS NOT (new.promised_end, new.parcels, new.created_at, new.delivery_option)
BEGIN
    INSERT INTO kpi_touch_shipments VALUES (NULL, new.id, 1);
END;

-- Failed-attempt scans: their own count by event time, and first-attempt rates of their shipment's days.
CREATE TRIGGER kpi_failed_attempt_insert AFTER INSERT ON tracking_events WHEN new.status = 'failed_attempt'
BEGIN
    INSERT INTO kpi_touch VALUES ('failed_event', new.event_time);
    INSERT INTO kpi_touch_shipments VALUES (new.shipment_id, NULL, 1);
END;
CREATE TRIGGER kpi_failed_attempt_move AFTER UPDATE OF shipment_id ON tracking_events
WHEN old.status = 'failed_attempt' AND old.shipment_id IS NOT new.shipment_id
BEGIN
    INSERT INTO kpi_touch_shipments VALUES (old.shipment_id, NULL, 1), (new.shipment_id, NULL, 1);
END;
CREATE TRIGGER kpi_failed_attempt_delete AFTER DELETE ON tracking_events WHEN old.status = 'failed_attempt'
BEGIN
    INSERT INTO kpi_touch VALUES ('failed_event', old.event_time);
    INSERT INTO kpi_touch_shipments VALUES (old.shipment_id, NULL, 1);
END;

-- Exception cases: opened and resolved counts, and the scorecard's exception rate (by shipment) and complaints (by order).
CREATE TRIGGER kpi_exceptions_insert AFTER INSERT ON exceptions
BEGIN
    INSERT INTO kpi_touch VALUES ('case_opened', new.opened_at), ('case_resolved', new.resolved_at);
    INSERT INTO kpi_touch_shipments VALUES (new.shipment_id, new.order_id, 0);
END;
CREATE TRIGGER kpi_exceptions_times AFTER UPDATE OF opened_at, resolved_at ON exceptions
WHEN (old.opened_at, old.resolved_at) IS NOT (new.opened_at, new.resolved_at)
BEGIN
    INSERT INTO kpi_touch VALUES ('case_opened', old.opened_at), ('case_opened', new.opened_at),
        ('case_resolved', old.resolved_at), ('case_resolved', new.resolved_at);
END;
CREATE TRIGGER kpi_exceptions_subject AFTER UPDATE OF kind, shipment_id, order_id ON exceptions
WHEN (old.kind, old.shipment_id, old.order_id) IS NOT (new.kind, new.shipment_id, new.order_id)
BEGIN
    INSERT INTO kpi_touch_shipments VALUES (old.shipment_id, old.order_id, 0), (new.shipment_id, new.order_id, 0);
END;
CREATE TRIGGER kpi_exceptions_delete AFTER DELETE ON exceptions
BEGIN
    INSERT INTO kpi_touch VALUES ('case_opened', old.opened_at), ('case_resolved', old.resolved_at);
    INSERT INTO kpi_touch_shipments VALUES (old.shipment_id, old.order_id, 0);
END;

-- Customer messages, by the day they were queued.
CREATE TRIGGER kpi_notifications_insert AFTER INSERT ON notifications
BEGIN
    INSERT INTO kpi_touch VALUES ('message', new.created_at);
END;
CREATE TRIGGER kpi_notifications_update AFTER UPDATE OF status, created_at ON notifications
WHEN (old.status IN ('sent', 'failed') OR new.status IN ('sent', 'failed'))
 AND (old.status, old.created_at) IS NOT (new.status, new.created_at)
BEGIN
    INSERT INTO kpi_touch VALUES ('message', old.created_at), ('message', new.created_at);
END;
CREATE TRIGGER kpi_notifications_delete AFTER DELETE ON notifications
BEGIN
    INSERT INTO kpi_touch VALUES ('message', old.created_at);
END;

-- Own fleet: routes by plan date; a route's van decides the driver of its stops' shipments in the scorecard.
CREATE TRIGGER kpi_routes_insert AFTER INSERT ON routes
BEGIN
    INSERT INTO kpi_touch VALUES ('fleet', new.plan_date);
END;
CREATE TRIGGER kpi_routes_update AFTER UPDATE OF plan_date, vehicle_id, distance_m, duration_s ON routes
WHEN (old.plan_date, old.vehicle_id, old.distance_m, old.duration_s)
     IS NOT (new.plan_date, new.vehicle_id, new.distance_m, new.duration_s)
BEGIN
    INSERT INTO kpi_touch VALUES ('fleet', old.plan_date), ('fleet', new.plan_date);
    INSERT INTO kpi_touch_shipments SELECT NULL, order_id, 0 FROM stops
        WHERE route_id = new.id AND kind = 'delivery' AND old.vehicle_id IS NOT new.vehicle_id;
END;
CREATE TRIGGER kpi_routes_delete AFTER DELETE ON routes
BEGIN
    INSERT INTO kpi_touch VALUES ('fleet', old.plan_date);
END;

-- Stops: delivered stops count for their route's day; a delivery stop on a route gives its shipments a driver.
CREATE TRIGGER kpi_stops_insert AFTER INSERT ON stops WHEN new.route_id IS NOT NULL
BEGIN
    INSERT INTO kpi_touch SELECT 'fleet', plan_date FROM routes WHERE id = new.route_id AND new.status = 'delivered';
    INSERT INTO kpi_touch_shipments SELECT NULL, new.order_id, 0 WHERE new.kind = 'delivery';
END;
CREATE TRIGGER kpi_stops_fleet AFTER UPDATE OF route_id, status ON stops
WHEN (old.status = 'delivered' OR new.status = 'delivered') AND (old.route_id, old.status) IS NOT (new.route_id, new.status)
BEGIN
    INSERT INTO kpi_touch SELECT 'fleet', plan_date FROM routes WHERE id IN (old.route_id, new.route_id);
END;
CREATE TRIGGER kpi_stops_driver AFTER UPDATE OF route_id, order_id, kind ON stops
WHEN (old.kind = 'delivery' OR new.kind = 'delivery') AND (old.route_id, old.order_id, old.kind) IS NOT (new.route_id, new.order_id, new.kind)
BEGIN
    INSERT INTO kpi_touch_shipments VALUES (NULL, old.order_id, 0), (NULL, new.order_id, 0);
END;
CREATE TRIGGER kpi_stops_delete AFTER DELETE ON stops WHEN old.route_id IS NOT NULL
BEGIN
    INSERT INTO kpi_touch SELECT 'fleet', plan_date FROM routes WHERE id = old.route_id AND old.status = 'delivered';
    INSERT INTO kpi_touch_shipments SELECT NULL, old.order_id, 0 WHERE old.kind = 'delivery';
END;

-- Vans and drivers: shift hours feed their routes' days; a van's driver or a driver's name touches every scorecard day.
CREATE TRIGGER kpi_vehicles_update AFTER UPDATE OF shift_start, shift_end, driver_id ON vehicles
WHEN (old.shift_start, old.shift_end, old.driver_id) IS NOT (new.shift_start, new.shift_end, new.driver_id)
BEGIN
    INSERT INTO kpi_touch SELECT DISTINCT 'fleet', plan_date FROM routes WHERE vehicle_id = new.id;
    INSERT INTO kpi_touch SELECT 'ship_created', '*' WHERE old.driver_id IS NOT new.driver_id;
END;
CREATE TRIGGER kpi_vehicles_delete AFTER DELETE ON vehicles
BEGIN
    INSERT INTO kpi_touch VALUES ('fleet', '*'), ('ship_created', '*');
END;
CREATE TRIGGER kpi_drivers_update AFTER UPDATE OF name ON drivers WHEN old.name IS NOT new.name
BEGIN
    INSERT INTO kpi_touch VALUES ('ship_created', '*');
END;
CREATE TRIGGER kpi_drivers_delete AFTER DELETE ON drivers
BEGIN
    INSERT INTO kpi_touch VALUES ('ship_created', '*');
END;
