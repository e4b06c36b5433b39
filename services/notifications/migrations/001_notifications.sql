-- Messages to users about their orders: stored in the event handler's transaction, e-mailed later by
-- the mailer loop (an SMTP send cannot roll back, so it never happens inside that transaction).

CREATE TABLE notifications (
  id              uuid PRIMARY KEY,
  -- Text, not uuid: ids come from other services' events, and a malformed one must not poison the
  -- subscription (the handler validates their shape and length instead).
  user_id         text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 200),
  order_id        text NOT NULL CHECK (length(order_id) BETWEEN 1 AND 200),
  kind            text NOT NULL CHECK (kind IN ('order_confirmed', 'order_rejected', 'order_cancelled')),
  subject         text NOT NULL,
  body            text NOT NULL,
  emailed         boolean NOT NULL DEFAULT false,
  emailed_at      timestamptz,
  -- The mailer's retries: failed sends so far, when the next may run, and the last failure.
  mail_attempts   integer NOT NULL DEFAULT 0,
  next_mail_at    timestamptz NOT NULL DEFAULT now(),
  last_mail_error text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- One message per order outcome, whatever the number of events saying so.
  UNIQUE (order_id, kind)
);

-- ListMyNotifications: one user's messages, newest (highest UUIDv7) first.
CREATE INDEX notifications_by_user ON notifications (user_id, id DESC);
-- The mailer's queue: only the messages still to send.
CREATE INDEX notifications_unsent ON notifications (next_mail_at, id) WHERE NOT emailed;
