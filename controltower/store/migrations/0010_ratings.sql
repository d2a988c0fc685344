-- Ratings after delivery (controltower.control.ratings.store owns these tables): asked in the "delivered" message
-- to customers who agreed to be asked, read back from the SMS provider's message list and the shop's mailbox.

-- Who agreed to be asked for a rating, per channel and address (an email or an E.164 number), and where it came from.
CREATE TABLE rating_consents (
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    consented INTEGER NOT NULL,
    at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel, recipient)
) WITHOUT ROWID;

-- Each question put to a customer: the rating itself, or the one follow-up after a low score. A reply is matched to
-- the newest question sent to its address within 48 hours (the sending time is the notification's sent_at).
CREATE TABLE rating_requests (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    shipment_id INTEGER REFERENCES shipments(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,                    -- rating or followup
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,               -- lower-case email or E.164, as the notification was addressed
    notification_id INTEGER NOT NULL UNIQUE,
    asked_at TEXT NOT NULL
);
CREATE INDEX rating_requests_recipient ON rating_requests(channel, recipient, asked_at);
CREATE INDEX rating_requests_shipment ON rating_requests(shipment_id);

-- One rating per delivery: the first readable reply on any channel counts.
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    shipment_id INTEGER NOT NULL UNIQUE REFERENCES shipments(id) ON DELETE CASCADE,
    request_id INTEGER NOT NULL REFERENCES rating_requests(id),
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',       -- after a low score: late, damaged, wrong_place, driver or other
    reason_text TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL,
    received_at TEXT NOT NULL,
    case_id INTEGER
);
CREATE INDEX ratings_received ON ratings(received_at);

-- Every inbound message read, once (the provider's id), with what was made of it.
CREATE TABLE rating_replies (
    provider_id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    sender TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL,
    outcome TEXT NOT NULL,
    rating_id INTEGER
) WITHOUT ROWID;
