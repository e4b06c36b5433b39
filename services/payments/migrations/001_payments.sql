-- Payment intents (one per order) and their refunds. Money is integer minor units (bigint) plus an
-- ISO 4217 currency. The rows change state; the money they move is recorded in the journal (002).

CREATE TABLE payments (
  id               uuid PRIMARY KEY,
  -- One payment per order: a repeated AuthorizePayment can never create a second one.
  order_id         uuid NOT NULL UNIQUE,
  user_id          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('authorized', 'declined', 'captured', 'voided', 'refunded')),
  -- 'XXX' (ISO 4217 "no currency") marks a void that arrived before any authorization.
  currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  amount_minor     bigint NOT NULL CHECK (amount_minor >= 0),
  captured_minor   bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
  refunded_minor   bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
  -- The processor's authorization id; empty when declined.
  authorization_id text NOT NULL DEFAULT '',
  decline_reason   text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  -- Never more refunded than captured, never more captured than authorized.
  CHECK (captured_minor <= amount_minor AND refunded_minor <= captured_minor),
  -- The amounts each status implies, so that no bug can store an impossible payment.
  CHECK (CASE status
    WHEN 'authorized' THEN captured_minor = 0 AND amount_minor > 0 AND authorization_id <> ''
    WHEN 'declined'   THEN captured_minor = 0 AND decline_reason <> ''
    WHEN 'voided'     THEN captured_minor = 0
    WHEN 'captured'   THEN captured_minor = amount_minor AND amount_minor > 0 AND refunded_minor < captured_minor
    WHEN 'refunded'   THEN captured_minor = amount_minor AND amount_minor > 0 AND refunded_minor = captured_minor
  END)
);

CREATE INDEX payments_created ON payments (created_at, id);

CREATE TABLE refunds (
  id               uuid PRIMARY KEY,
  payment_id       uuid NOT NULL REFERENCES payments (id),
  -- The caller's key: the same key refunds once.
  idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
  processor_reference text NOT NULL,
  created_at       timestamptz NOT NULL,
  UNIQUE (payment_id, idempotency_key)
);
