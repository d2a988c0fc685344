-- Schema version 1: orders, shipments, tracking, routes, exceptions, notifications, audit.
-- Times are ISO 8601 text in UTC; money is integer minor units plus a currency column.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE depots (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    street TEXT NOT NULL DEFAULT '', city TEXT NOT NULL DEFAULT '', postcode TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT 'US',
    lat REAL NOT NULL, lon REAL NOT NULL,
    opens_at TEXT, closes_at TEXT
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    order_ref TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL DEFAULT 'manual',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    street TEXT NOT NULL DEFAULT '',
    line2 TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT 'US',
    lat REAL, lon REAL,
    geo_precision TEXT NOT NULL DEFAULT 'unknown',
    geo_confidence REAL NOT NULL DEFAULT 0,
    delivery_option TEXT NOT NULL,
    promised_start TEXT, promised_end TEXT,
    delivery_date TEXT,                 -- local date of the promise, for the date filter
    parcels INTEGER NOT NULL DEFAULT 1,
    weight_g INTEGER NOT NULL DEFAULT 0,
    value_minor INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL DEFAULT 'USD',
    notes TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'created',
    carrier TEXT NOT NULL DEFAULT ''    -- carrier of the current shipment, for the Orders view
);
CREATE INDEX orders_created ON orders(created_at);
CREATE INDEX orders_status_created ON orders(status, created_at);
CREATE INDEX orders_option_created ON orders(delivery_option, created_at);
CREATE INDEX orders_date_created ON orders(delivery_date, created_at);
CREATE INDEX orders_customer ON orders(customer_name);
CREATE INDEX orders_city ON orders(city);
CREATE INDEX orders_street ON orders(street);
CREATE INDEX orders_postcode ON orders(postcode);
CREATE INDEX orders_promised_end ON orders(promised_end);
CREATE INDEX orders_value ON orders(value_minor);
CREATE INDEX orders_carrier ON orders(carrier);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    sku TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    quantity INTEGER NOT NULL DEFAULT 1,
    unit_price_minor INTEGER
);
CREATE INDEX order_lines_order ON order_lines(order_id);

-- Full-text search over the fields a shop owner types into the search box.
CREATE VIRTUAL TABLE orders_fts USING fts5(
    order_ref, customer_name, street, city, postcode, phone, email,
    content='orders', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER orders_fts_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_fts(rowid, order_ref, customer_name, street, city, postcode, phone, email)
    VALUES (new.id, new.order_ref, new.customer_name, new.street, new.city, new.postcode, new.phone, new.email);
END;
CREATE TRIGGER orders_fts_delete AFTER DELETE ON orders BEGIN
    INSERT INTO orders_fts(orders_fts, rowid, order_ref, customer_name, street, city, postcode, phone, email)
    VALUES ('delete', old.id, old.order_ref, old.customer_name, old.street, old.city, old.postcode, old.phone, old.email);
END;
CREATE TRIGGER orders_fts_update AFTER UPDATE OF order_ref, customer_name, street, city, postcode, phone, email ON orders BEGIN
    INSERT INTO orders_fts(orders_fts, rowid, order_ref, customer_name, street, city, postcode, phone, email)
    VALUES ('delete', old.id, old.order_ref, old.customer_name, old.street, old.city, old.postcode, old.phone, old.email);
    INSERT INTO orders_fts(rowid, order_ref, customer_name, street, city, postcode, phone, email)
    VALUES (new.id, new.order_ref, new.customer_name, new.street, new.city, new.postcode, new.phone, new.email);
END;

CREATE TABLE carrier_accounts (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    settings_json TEXT NOT NULL DEFAULT '{}'   -- never secrets: those live in the OS keychain
);

CREATE TABLE shipments (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    kind TEXT NOT NULL DEFAULT 'delivery',
    carrier TEXT NOT NULL,
    service TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'created',
    status_as_of TEXT,
    tracking_number TEXT NOT NULL DEFAULT '',
    external_id TEXT NOT NULL DEFAULT '',
    cost_minor INTEGER, quoted_cost_minor INTEGER,
    currency TEXT NOT NULL DEFAULT 'USD',
    promised_by TEXT, eta TEXT,
    label_path TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_event_at TEXT
);
CREATE INDEX shipments_order ON shipments(order_id);
CREATE INDEX shipments_status ON shipments(status, carrier);
CREATE INDEX shipments_tracking ON shipments(carrier, tracking_number);

-- Append-only; the unique key makes a repeated event a no-op.
CREATE TABLE tracking_events (
    id INTEGER PRIMARY KEY,
    shipment_id INTEGER REFERENCES shipments(id) ON DELETE CASCADE,
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    event_key TEXT NOT NULL,
    status TEXT NOT NULL,
    raw_code TEXT NOT NULL DEFAULT '',
    raw_text TEXT NOT NULL DEFAULT '',
    event_time TEXT NOT NULL,
    received_at TEXT NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    lat REAL, lon REAL,
    applied INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (carrier, tracking_number, event_key)
);
CREATE INDEX tracking_events_shipment ON tracking_events(shipment_id, event_time);
CREATE TRIGGER tracking_events_no_update BEFORE UPDATE OF status, event_time, raw_code, raw_text ON tracking_events
BEGIN SELECT RAISE(ABORT, 'tracking events are append-only'); END;

CREATE TABLE quotes (
    id INTEGER PRIMARY KEY,
    order_id INTEGER REFERENCES orders(id) ON DELETE CASCADE,
    carrier TEXT NOT NULL,
    service TEXT NOT NULL DEFAULT '',
    price_minor INTEGER NOT NULL,
    currency TEXT NOT NULL DEFAULT 'USD',
    estimated_pickup TEXT, estimated_delivery TEXT, expires_at TEXT,
    external_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX quotes_order ON quotes(order_id);

CREATE TABLE drivers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT ''
);

CREATE TABLE vehicles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    capacity_parcels INTEGER NOT NULL,
    capacity_weight_g INTEGER NOT NULL,
    shift_start TEXT, shift_end TEXT,       -- local HH:MM
    break_minutes INTEGER NOT NULL DEFAULT 30,
    skills TEXT NOT NULL DEFAULT '',        -- comma-separated
    driver_id INTEGER REFERENCES drivers(id),
    depot_id INTEGER REFERENCES depots(id),
    cost_per_hour_minor INTEGER NOT NULL DEFAULT 2500,
    cost_per_km_minor INTEGER NOT NULL DEFAULT 40,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE routes (
    id INTEGER PRIMARY KEY,
    plan_date TEXT NOT NULL,
    vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
    status TEXT NOT NULL DEFAULT 'planned',
    distance_m INTEGER NOT NULL DEFAULT 0,
    duration_s INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX routes_date ON routes(plan_date);

CREATE TABLE stops (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    route_id INTEGER REFERENCES routes(id) ON DELETE SET NULL,
    kind TEXT NOT NULL DEFAULT 'delivery',
    sequence INTEGER,
    planned_arrival TEXT,
    actual_arrival TEXT,
    service_minutes REAL NOT NULL DEFAULT 4,
    locked INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'planned'
);
CREATE INDEX stops_route ON stops(route_id, sequence);
CREATE INDEX stops_order ON stops(order_id);

CREATE TABLE exceptions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    cause_key TEXT NOT NULL,
    order_id INTEGER REFERENCES orders(id) ON DELETE CASCADE,
    shipment_id INTEGER REFERENCES shipments(id) ON DELETE CASCADE,
    summary TEXT NOT NULL DEFAULT '',
    suggested_action TEXT NOT NULL DEFAULT '',
    opened_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT NOT NULL DEFAULT '',
    snoozed_until TEXT
);
-- One open case per cause.
CREATE UNIQUE INDEX exceptions_open_cause ON exceptions(cause_key) WHERE resolved_at IS NULL;
CREATE INDEX exceptions_open ON exceptions(resolved_at, severity, opened_at);

CREATE TABLE exception_actions (
    id INTEGER PRIMARY KEY,
    exception_id INTEGER NOT NULL REFERENCES exceptions(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    order_id INTEGER REFERENCES orders(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    template TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'queued',
    dedup_key TEXT NOT NULL UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX notifications_status ON notifications(status, created_at);

-- Every carrier write goes here first, with its idempotency key.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    carrier TEXT NOT NULL,
    operation TEXT NOT NULL,        -- book, cancel, return, ...
    shipment_id INTEGER REFERENCES shipments(id) ON DELETE CASCADE,
    payload_json TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'pending',   -- pending, in_flight, unknown, done, failed, cancelled
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    result_json TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_state ON outbox(state, next_attempt_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT 'user',
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL DEFAULT '',
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);

CREATE TABLE geocode_cache (
    address_key TEXT PRIMARY KEY,
    lat REAL, lon REAL,
    precision TEXT NOT NULL,
    confidence REAL NOT NULL DEFAULT 0,
    provider TEXT NOT NULL,
    created_at TEXT NOT NULL
);
