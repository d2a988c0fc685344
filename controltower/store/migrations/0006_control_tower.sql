-- Schema version 6: the control tower's notification outbox details, customer opt-outs, and indexes for KPIs and rules.

-- When a queued notification may be tried next (backoff) and what the provider called it.
ALTER TABLE notifications ADD COLUMN next_attempt_at TEXT;
ALTER TABLE notifications ADD COLUMN claimed_at TEXT;          -- set when a sender starts the network call
ALTER TABLE notifications ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';  -- SMTP Message-ID or Twilio SID
ALTER TABLE notifications ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX notifications_order ON notifications(order_id, created_at);

-- A customer who asked for no more messages on a channel (recipient is an email or E.164 number).
CREATE TABLE customer_optouts (
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel, recipient)
);

-- KPIs scan shipments by when they were created and finished; rules scan open shipments.
CREATE INDEX shipments_created ON shipments(created_at, carrier);
CREATE INDEX shipments_status_as_of ON shipments(status, status_as_of);
CREATE INDEX exceptions_opened ON exceptions(opened_at, kind);
CREATE INDEX exceptions_order ON exceptions(order_id);
CREATE INDEX stops_status ON stops(status, planned_arrival);
CREATE INDEX tracking_events_status_time ON tracking_events(status, event_time);
CREATE INDEX outbox_operation_state ON outbox(operation, state);
CREATE INDEX tracking_events_shipment_status ON tracking_events(shipment_id, status);
CREATE INDEX notifications_created ON notifications(created_at, status);
CREATE INDEX exceptions_shipment ON exceptions(shipment_id, kind);
CREATE INDEX shipments_updated ON shipments(updated_at);
-- Partial indexes: the rules look at the few shipments and stops still under way, not the year behind them.
CREATE INDEX shipments_open ON shipments(status) WHERE status NOT IN ('delivered', 'returned', 'cancelled');
CREATE INDEX stops_pending ON stops(route_id) WHERE status NOT IN ('delivered', 'failed', 'skipped');
CREATE INDEX shipments_over_quote ON shipments(created_at) WHERE cost_minor > quoted_cost_minor;
-- The queue's counts per kind read only this small index of open cases.
CREATE INDEX exceptions_open_kind ON exceptions(kind, snoozed_until) WHERE resolved_at IS NULL;
