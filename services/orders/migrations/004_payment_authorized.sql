-- Checkout asks inventory and payments at once: an order may now rest with its payment authorized
-- while it waits for the stock (status PAYMENT_AUTHORIZED, payment 'authorized'), and a new order
-- never stores its card token (it travels in AuthorizePayment only).
ALTER TABLE orders
  DROP CONSTRAINT orders_status_check,
  DROP CONSTRAINT orders_payment_check,
  DROP CONSTRAINT orders_check,
  ADD CONSTRAINT orders_status_check CHECK (
    status IN ('PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'CONFIRMED', 'REJECTED', 'CANCELLED')
  ),
  ADD CONSTRAINT orders_payment_check CHECK (
    payment IN ('none', 'requested', 'authorized', 'declined', 'voiding', 'voided', 'capturing', 'captured')
  ),
  ADD CONSTRAINT orders_deadline_check CHECK (
    (deadline IS NOT NULL) = (status IN ('PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED'))
  );
