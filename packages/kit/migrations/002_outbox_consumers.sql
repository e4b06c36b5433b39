-- Positions never go back. They used to continue from max(position), which restarted at 1 once
-- every row had been pruned, so consumers with a higher saved position skipped every new event.
-- From now on the relay takes them from the `outbox_position` sequence, which continues from the
-- highest position handed out so far.
SELECT setval('outbox_position', max(position)) FROM outbox HAVING max(position) IS NOT NULL;

-- Direct transport: the consumers this producer knows and the position each has acknowledged
-- (reported when it opens a stream and after it commits). Pruning keeps every row of a known
-- consumer's types after its acknowledged position.
CREATE TABLE outbox_consumers (
  consumer        text PRIMARY KEY,
  -- The event types it streams; empty means all.
  types           text[] NOT NULL DEFAULT '{}',
  acknowledged    bigint NOT NULL,
  acknowledged_at timestamptz NOT NULL DEFAULT now()
);

-- Per event type, the highest position pruning ever deleted: a consumer of that type asking for
-- events after a lower position has missed some, which the producer says rather than skipping
-- them silently.
CREATE TABLE outbox_pruned (
  type    text PRIMARY KEY,
  through bigint NOT NULL
);

-- Broker streams the relay delivered to, by the broker's own creation time of each. A stream that
-- reappears with another creation time was lost with what it held (a broker restarted with an
-- empty store): the relay sends the retained outbox rows again, and consumers' inboxes dedupe.
CREATE TABLE outbox_broker_streams (
  stream  text PRIMARY KEY,
  created text NOT NULL
);
