-- Orders and the state of their checkout saga. Every change of a row commits together with the
-- saga's commands and events in the outbox (one local transaction per transition).

CREATE TABLE orders (
  id              uuid PRIMARY KEY,
  user_id         text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 128),
  -- The same (user, key) is the same order, however often or concurrently PlaceOrder is sent.
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  status          text NOT NULL
                  CHECK (status IN ('PENDING', 'STOCK_RESERVED', 'CONFIRMED', 'REJECTED', 'CANCELLED')),
  -- The cart's lines and unit prices when the order was placed; never updated.
  lines           jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array' AND jsonb_array_length(lines) > 0),
  currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  total_minor     bigint NOT NULL CHECK (total_minor >= 0),
  -- A payment processor's token (never card data), kept only until AuthorizePayment is sent. A real
  -- system would store a reference to a saved payment method instead.
  card_token      text NOT NULL,
  reason          text NOT NULL DEFAULT '',
  -- What the saga knows of the stock hold and the payment (see src/order.ts).
  stock           text NOT NULL
                  CHECK (stock IN ('requested', 'reserved', 'rejected', 'releasing', 'released', 'committing')),
  payment         text NOT NULL
                  CHECK (payment IN ('none', 'requested', 'declined', 'voiding', 'voided', 'capturing', 'captured')),
  payment_id      text NOT NULL DEFAULT '',
  -- When the current step times out; set exactly while the order waits for an answer.
  deadline        timestamptz,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, idempotency_key),
  CHECK ((deadline IS NOT NULL) = (status IN ('PENDING', 'STOCK_RESERVED'))),
  CHECK (card_token = '' OR status = 'PENDING')
);

-- A user's orders, newest first (ids are UUIDv7, so they sort by creation).
CREATE INDEX orders_user_id ON orders (user_id, id);
-- The timeout sweep: only orders that wait for something.
CREATE INDEX orders_deadline ON orders (deadline) WHERE deadline IS NOT NULL;
