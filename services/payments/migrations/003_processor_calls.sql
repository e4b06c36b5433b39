-- Calls to the card processor, recorded before they are made: no network call happens inside a
-- database transaction. A saga command (or a refund request) records its call here in its own
-- transaction; a worker makes the call with no transaction open, then records the outcome — the
-- payment, its journal entry, the event — and settles the call in another. A crash in between
-- leaves the call pending, and it is made again with the same idempotency key, which the processor
-- answers with its first answer (src/processor-calls.ts).

CREATE TABLE processor_calls (
  id              uuid PRIMARY KEY,
  -- Recording order: one order's calls are made one at a time, in this order.
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  order_id        uuid NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('authorize', 'capture', 'void', 'refund')),
  -- 'authorize:<order>', 'capture:<order>', 'void:<order>', 'refund:<order>:<caller key>':
  -- a repeated command or request finds its call instead of recording another.
  intent_key      text NOT NULL UNIQUE CHECK (length(intent_key) <= 256),
  -- authorize: the command; refund: the amount, the refund's id and the caller's key.
  user_id         text NOT NULL DEFAULT '',
  currency        char(3) CHECK (currency ~ '^[A-Z]{3}$'),
  amount_minor    bigint CHECK (amount_minor > 0),
  -- Kept only while the authorization is pending, so that a crash can repeat it; erased once settled.
  card_token      text NOT NULL DEFAULT '',
  refund_id       uuid,
  refund_key      text NOT NULL DEFAULT '',
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'settled', 'failed')),
  -- Times the call was taken up (a crash counts), and transient failures recorded.
  attempts        integer NOT NULL DEFAULT 0,
  failures        integer NOT NULL DEFAULT 0,
  -- Set once an authorization is given up (timeout, processor unavailable): from then on only its
  -- technical cancel is made, then the decline is recorded with this reason. Never unset.
  abandon_reason  text NOT NULL DEFAULT '',
  last_error      text NOT NULL DEFAULT '',
  -- When the call may next be taken up: now, after a retry delay, or after the lease of a worker
  -- that took it up (a crashed worker's call is taken up again when its lease ends).
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  settled_at      timestamptz,
  CHECK (kind <> 'authorize' OR (currency IS NOT NULL AND amount_minor IS NOT NULL AND user_id <> '')),
  CHECK (kind <> 'refund' OR (currency IS NOT NULL AND amount_minor IS NOT NULL AND refund_id IS NOT NULL)),
  CHECK (status = 'pending' OR card_token = '')
);
CREATE INDEX processor_calls_due ON processor_calls (next_attempt_at) WHERE status = 'pending';
CREATE INDEX processor_calls_pending_by_order ON processor_calls (order_id, seq) WHERE status = 'pending';

-- Wakes the workers (LISTEN processor_calls) when a recording transaction commits.
CREATE FUNCTION notify_processor_calls() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('processor_calls', '');
  RETURN NULL;
END $$;
CREATE TRIGGER processor_calls_recorded AFTER INSERT ON processor_calls
  FOR EACH STATEMENT EXECUTE FUNCTION notify_processor_calls();
