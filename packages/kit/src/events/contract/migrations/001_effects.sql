-- The contract consumer's effects: one row per handler run, so a double effect shows as two rows.
CREATE TABLE effects (
  applied_order bigserial PRIMARY KEY,
  event_id      uuid NOT NULL,
  subject       text NOT NULL,
  sequence      bigint NOT NULL,
  replica       text NOT NULL,
  -- Event time (the producer's publish) and the moment the effect was written: delivery latency.
  published_at  timestamptz NOT NULL,
  applied_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE poison_switch (on_ boolean NOT NULL);
INSERT INTO poison_switch VALUES (true);
