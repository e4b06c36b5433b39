-- An order's reason gets a stable code beside its prose (Order.reason_detail): a client switches on
-- the code. Orders that ended before codes existed get theirs from the prose the saga wrote.
ALTER TABLE orders ADD COLUMN reason_code text NOT NULL DEFAULT '';

UPDATE orders SET reason_code = CASE
    WHEN reason LIKE 'not enough stock%' THEN 'out-of-stock'
    WHEN reason LIKE 'the stock reservation expired%' THEN 'reservation-expired'
    WHEN reason = 'timed out waiting for the stock reservation' THEN 'reservation-timeout'
    WHEN reason = 'timed out waiting for the payment authorization' THEN 'payment-timeout'
    WHEN reason = 'cancelled by the customer' THEN 'cancelled-by-user'
    WHEN reason LIKE 'payment declined: insufficient_funds' THEN 'insufficient-funds'
    WHEN reason LIKE 'payment declined: expired_card' THEN 'expired-card'
    WHEN reason LIKE 'payment declined: invalid_card' THEN 'invalid-card'
    WHEN reason LIKE 'payment declined: processor_timeout' THEN 'payment-timeout'
    WHEN reason LIKE 'payment declined: processor_unavailable' THEN 'payment-unavailable'
    WHEN reason LIKE 'payment declined%' THEN 'card-declined'
    ELSE ''
  END
WHERE reason <> '';
