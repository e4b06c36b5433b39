-- The double-entry ledger. The chart of accounts and the meaning of each posting are explained in
-- src/ledger.ts. The database guards the rules itself, whatever the code does:
--   * every journal entry balances (its lines sum to zero) and has at least two lines — checked at
--     commit by deferred constraint triggers, so an entry is written line by line in one transaction;
--   * an entry is in one currency: its lines must share it (composite foreign keys);
--   * the journal is append-only: UPDATE, DELETE and TRUNCATE raise an error; a correction is a new entry;
--   * a payment is authorized, captured and voided at most once in the journal, a refund posted once.

CREATE TABLE accounts (
  name       text NOT NULL CHECK (
               name IN ('processor:clearing', 'merchant:revenue', 'merchant:refunds')
               OR name ~ '^customer:[^[:space:][:cntrl:]]{1,128}$'),
  currency   char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, currency)
);

CREATE TABLE journal_entries (
  id          uuid PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('authorization', 'capture', 'void', 'refund')),
  payment_id  uuid NOT NULL REFERENCES payments (id),
  refund_id   uuid REFERENCES refunds (id),
  currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- The processor's reference of this movement (authorization, capture or refund id).
  reference   text NOT NULL DEFAULT '',
  posted_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, currency),
  CHECK ((kind = 'refund') = (refund_id IS NOT NULL))
);
-- Belt and braces for idempotency: a second capture (or authorization, or void) of a payment, or a
-- refund posted twice, fails here even if the domain let it through.
CREATE UNIQUE INDEX journal_entries_once ON journal_entries (payment_id, kind) WHERE kind <> 'refund';
CREATE UNIQUE INDEX journal_entries_refund_once ON journal_entries (refund_id) WHERE refund_id IS NOT NULL;

CREATE TABLE journal_lines (
  entry_id     uuid NOT NULL,
  line_no      smallint NOT NULL CHECK (line_no > 0),
  account      text NOT NULL,
  currency     char(3) NOT NULL,
  -- Positive: money into the account; negative: money out of it.
  amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
  PRIMARY KEY (entry_id, line_no),
  FOREIGN KEY (entry_id, currency) REFERENCES journal_entries (id, currency),
  FOREIGN KEY (account, currency) REFERENCES accounts (name, currency)
);
CREATE INDEX journal_lines_account ON journal_lines (account, currency);

-- Raises unless the entry's lines sum to zero and there are at least two of them.
CREATE FUNCTION assert_entry_balanced(entry uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  total numeric;
  lines bigint;
BEGIN
  SELECT coalesce(sum(amount_minor), 0), count(*) INTO total, lines FROM journal_lines WHERE entry_id = entry;
  IF lines < 2 OR total <> 0 THEN
    RAISE EXCEPTION 'journal entry % is unbalanced: % lines summing to %', entry, lines, total
      USING ERRCODE = 'check_violation';
  END IF;
END $$;

CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM assert_entry_balanced(NEW.id);
  RETURN NULL;
END $$;

CREATE FUNCTION journal_line_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM assert_entry_balanced(NEW.entry_id);
  RETURN NULL;
END $$;

-- Deferred to commit: the entry and its lines are inserted one statement after another.
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();
CREATE CONSTRAINT TRIGGER journal_lines_balanced AFTER INSERT ON journal_lines
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_line_balanced();

-- A trigger rather than REVOKE: REVOKE does not bind the table's owner, which is the role the service runs as.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused; post a correcting entry instead', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;

-- Statement triggers: they fire even when no row matches, so any attempt is refused, not just a "successful" one.
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON journal_entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON journal_lines
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER refunds_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON refunds
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER accounts_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
