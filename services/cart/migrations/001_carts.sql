-- Carts when no REDIS_URL is set (embedded mode). A cart expires CART_TTL_DAYS after its last
-- change: reads ignore it from then on, and a periodic cleanup deletes it.
CREATE TABLE carts (
  user_id    text PRIMARY KEY CHECK (length(user_id) BETWEEN 1 AND 128),
  -- Also the row every change of the cart locks, so concurrent changes apply one after the other.
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX carts_updated_at ON carts (updated_at);

-- One line per product, with the catalog's SKU, name and price when it was added.
CREATE TABLE cart_items (
  user_id          text NOT NULL REFERENCES carts (user_id) ON DELETE CASCADE,
  product_id       uuid NOT NULL,
  sku              text NOT NULL,
  name             text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
  unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
  currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  added_at         timestamptz NOT NULL,
  PRIMARY KEY (user_id, product_id)
);
