-- A cart's contents are named by an id until they become an order; the orders service places at
-- most one order per cart id, and the cart takes a new id once an order is placed from it.
ALTER TABLE carts ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE carts ALTER COLUMN id DROP DEFAULT;
