-- The toolkit's event tables, in every service's own database (applied before the service's own
-- migrations). Producers write `outbox` rows in their business transactions; consumers record
-- applied event ids in `inbox` in theirs.

CREATE TABLE outbox (
  -- Insert order; transactions can commit out of it, so delivery follows `position` instead.
  id_seq        bigserial PRIMARY KEY,
  id            uuid NOT NULL UNIQUE,
  type          text NOT NULL,
  source        text NOT NULL,
  subject       text NOT NULL,
  time          timestamptz NOT NULL,
  data          jsonb NOT NULL,
  schema_version integer NOT NULL,
  traceparent   text NOT NULL DEFAULT '',
  -- Assigned by the relay, one relay at a time, in the order rows became visible: commit order.
  position      bigint UNIQUE,
  delivered_at  timestamptz
);
CREATE INDEX outbox_undelivered ON outbox (id_seq) WHERE delivered_at IS NULL;
CREATE INDEX outbox_unpositioned ON outbox (id_seq) WHERE position IS NULL;
CREATE SEQUENCE outbox_position;

-- Event ids a subscription has applied; the primary key is what makes an effect happen once.
CREATE TABLE inbox (
  consumer    text NOT NULL,
  event_id    uuid NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_applied_at ON inbox (applied_at);

-- Direct transport: how far a subscription has read each producer, committed with its effects.
CREATE TABLE consumer_offsets (
  consumer    text NOT NULL,
  producer    text NOT NULL,
  position    bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, producer)
);

-- Events a subscription gave up on after its retries, with the last error; replayable.
CREATE TABLE dead_letters (
  id          bigserial PRIMARY KEY,
  consumer    text NOT NULL,
  event_id    uuid NOT NULL,
  event       jsonb NOT NULL,
  error       text NOT NULL,
  attempts    integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (consumer, event_id)
);
