-- Dispatch: confirmed decisions and returns.

-- One row per order + carrier + attempt: a retried confirm finds its key here and books nothing twice.
CREATE TABLE dispatch_bookings (
    dispatch_key TEXT PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    carrier TEXT NOT NULL,
    service TEXT NOT NULL DEFAULT '',
    attempt INTEGER NOT NULL DEFAULT 1,
    shipment_id INTEGER REFERENCES shipments(id) ON DELETE SET NULL,
    outbox_id INTEGER REFERENCES outbox(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dispatch_bookings_order ON dispatch_bookings(order_id);

-- A return from a customer: why, which items, and how it comes back; tracked by its return shipment.
CREATE TABLE returns (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    shipment_id INTEGER REFERENCES shipments(id) ON DELETE SET NULL,
    reason TEXT NOT NULL,
    items_json TEXT NOT NULL DEFAULT '[]',
    method TEXT NOT NULL,                       -- drop_off, courier_pickup, own_route
    status TEXT NOT NULL DEFAULT 'requested',   -- requested, on_the_way, returned, cancelled
    stop_id INTEGER REFERENCES stops(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX returns_order ON returns(order_id);
CREATE INDEX returns_status ON returns(status);

-- The day a stop is wanted, for stops not yet on a route (a re-attempt or a return collection for tomorrow).
ALTER TABLE stops ADD COLUMN plan_date TEXT;
CREATE INDEX stops_plan_date ON stops(plan_date) WHERE route_id IS NULL;
