-- Stock per SKU and the reservations that hold it for orders. Counters are whole units.

CREATE TABLE stock (
  sku         text PRIMARY KEY CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{1,63}$'),
  -- Units in the warehouse, held ones included.
  on_hand     bigint NOT NULL CHECK (on_hand >= 0),
  -- Units held by HELD reservations.
  reserved    bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  -- Units that left with committed orders, ever.
  committed   bigint NOT NULL DEFAULT 0 CHECK (committed >= 0),
  -- Units ever received: initial stock plus restocks.
  received    bigint NOT NULL CHECK (received >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- Stock is never negative and never oversold; units are conserved.
  CONSTRAINT stock_reserved_within_on_hand CHECK (reserved <= on_hand),
  CONSTRAINT stock_conserved CHECK (received = on_hand + committed)
);

-- One per order. REJECTED records a refused reservation (no lines) so a repeated ReserveStock
-- gets the same answer; it is not a ReservationStatus of the contract and is not listed.
CREATE TABLE reservations (
  order_id    text PRIMARY KEY CHECK (length(order_id) BETWEEN 1 AND 100),
  status      text NOT NULL CHECK (status IN ('HELD', 'RELEASED', 'COMMITTED', 'EXPIRED', 'REJECTED')),
  reason      text NOT NULL DEFAULT '',
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The expiry sweep walks HELD reservations by expiry.
CREATE INDEX reservations_held_expiry ON reservations (expires_at) WHERE status = 'HELD';

CREATE TABLE reservation_lines (
  order_id    text NOT NULL REFERENCES reservations (order_id),
  sku         text NOT NULL REFERENCES stock (sku),
  quantity    bigint NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, sku)
);
CREATE INDEX reservation_lines_sku ON reservation_lines (sku);

-- Restocks by idempotency key: the same key adds its units once. The key is claimed before the
-- units are added (which may create the SKU's row), hence the deferred reference.
CREATE TABLE restocks (
  idempotency_key text PRIMARY KEY CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  sku             text NOT NULL REFERENCES stock (sku) DEFERRABLE INITIALLY DEFERRED,
  quantity        bigint NOT NULL CHECK (quantity > 0),
  created_at      timestamptz NOT NULL DEFAULT now()
);
