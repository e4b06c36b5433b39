-- The card processor simulator's memory. A real processor is a separate system with its own storage;
-- the simulator keeps its state apart in schema card_simulator, applies this file itself (see
-- src/simulator-store.ts) and writes through its own connections. Payments' code never reads it.

CREATE SCHEMA card_simulator;

CREATE TABLE card_simulator.authorizations (
  id                 text PRIMARY KEY,
  -- Insertion order, for listing.
  seq                bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  merchant_reference text NOT NULL,
  currency           char(3) NOT NULL,
  amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
  status             text NOT NULL CHECK (status IN ('authorized', 'captured', 'voided')),
  captured_minor     bigint NOT NULL DEFAULT 0,
  refunded_minor     bigint NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (refunded_minor <= captured_minor AND captured_minor <= amount_minor)
);
CREATE INDEX authorizations_merchant_reference ON card_simulator.authorizations (merchant_reference);

-- The first answer to each idempotency key, repeated to any retry of the same request.
CREATE TABLE card_simulator.answers (
  idempotency_key text PRIMARY KEY,
  -- The request the key was first used with; the same key with another request is refused.
  fingerprint     text NOT NULL,
  answer          jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
