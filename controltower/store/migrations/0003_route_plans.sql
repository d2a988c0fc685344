-- Schema version 3 (routing): saved plan history for comparison, per-order routing needs, cached travel matrices.

CREATE TABLE route_plans (
    id INTEGER PRIMARY KEY,
    plan_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    engine TEXT NOT NULL DEFAULT '',
    distance_m INTEGER NOT NULL DEFAULT 0,
    duration_s INTEGER NOT NULL DEFAULT 0,
    planned_stops INTEGER NOT NULL DEFAULT 0,
    unplanned_stops INTEGER NOT NULL DEFAULT 0,
    vehicles_used INTEGER NOT NULL DEFAULT 0,
    routes_json TEXT NOT NULL DEFAULT '[]'   -- [[vehicle_id, [order_id, ...]], ...] in visit order
);
CREATE INDEX route_plans_date ON route_plans(plan_date, id);

-- What an order needs from the van beyond its size: skills (e.g. "fridge") and a priority when the day is full.
CREATE TABLE routing_order_needs (
    order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
    required_skills TEXT NOT NULL DEFAULT '',   -- comma-separated
    priority INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE travel_matrix_cache (
    key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    distance_json TEXT NOT NULL,
    duration_json TEXT NOT NULL
);
