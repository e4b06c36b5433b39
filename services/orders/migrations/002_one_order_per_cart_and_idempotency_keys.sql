-- A cart's contents become at most one order: the cart names them with an id (Cart.cart_id), and
-- the orders of one user never share one. Orders placed before carts had ids have none.
ALTER TABLE orders ADD COLUMN cart_id uuid;
CREATE UNIQUE INDEX orders_one_per_cart ON orders (user_id, cart_id);

-- Idempotency keys move to their own table: they expire after 24 hours (then the key may be used
-- again), and they remember a fingerprint of the request, so the same key with another request is
-- refused. The orders table keeps the key an order was placed with, no longer unique.
ALTER TABLE orders DROP CONSTRAINT orders_user_id_idempotency_key_key;

CREATE TABLE idempotency_keys (
  user_id      text NOT NULL,
  key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
  -- SHA-256 of the request the key was first used with (hex); '' for keys from before fingerprints.
  fingerprint  text NOT NULL,
  -- The order the request placed; NULL while a request is handling the key.
  order_id     uuid,
  -- Which request holds the key, and until when: a request that crashed holding it loses it then.
  lock_token   uuid,
  locked_until timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (user_id, key),
  CHECK ((order_id IS NULL) = (lock_token IS NOT NULL))
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

INSERT INTO idempotency_keys (user_id, key, fingerprint, order_id, created_at, expires_at)
SELECT user_id, idempotency_key, '', id, created_at, created_at + interval '24 hours' FROM orders
ON CONFLICT DO NOTHING;
