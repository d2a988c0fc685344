-- Webhooks out (controltower.api.webhook_store owns these tables). Signing secrets live in the keychain, never here.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    events_json TEXT NOT NULL,              -- the event types this endpoint subscribes to
    enabled INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT NOT NULL DEFAULT '',
    failures_in_a_row INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- The durable outbox: one row per (event, endpoint); webhook-id is message_id, the same on every retry.
CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,                     -- the exact JSON bytes signed and sent
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',  -- pending, delivered, failed (gave up after 24 hours)
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    delivered_at TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(state, next_attempt_at);

-- The delivery log: every attempt, its answer and how long it took.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES webhook_outbox(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    status_code INTEGER,
    error TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_attempts_outbox ON webhook_attempts(outbox_id);

-- What the feed last saw of each order, shipment and case, so a change is announced once (fingerprint = state).
CREATE TABLE webhook_seen (
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id)
) WITHOUT ROWID;
CREATE TABLE webhook_cursors (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The webhook feed reads what changed since its cursor.
CREATE INDEX IF NOT EXISTS orders_updated ON orders(updated_at);
CREATE INDEX IF NOT EXISTS shipments_updated ON shipments(updated_at);
