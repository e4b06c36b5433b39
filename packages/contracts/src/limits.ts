/**
 * The limits every service agrees on, defined once: the catalog refuses a price outside them, the
 * cart a quantity or a line too many, the orders service a total that payments could not take, and
 * payments an amount outside them. A service in another language reads the same numbers here (they
 * are also named in the protos' comments).
 */
export const limits = {
  /** A product's price, in minor units: a free product is not sold (there are no discounts yet). */
  unitPriceMinor: { min: 1n, max: 10_000_000_000n },
  /** Units of one product in a cart or an order line. */
  lineQuantity: { min: 1, max: 99 },
  /** Different products in one cart, and so in one order. */
  cartLines: { max: 50 },
  /** What one payment can authorize, in minor units; an order's total must be within it. */
  paymentAmountMinor: { min: 1n, max: 10_000_000_000n },
} as const;

/** Whether `amount` lies within `range`, bounds included. */
export function withinLimit(
  amount: bigint | number,
  range: { min?: bigint | number; max: bigint | number },
): boolean {
  return (range.min === undefined || amount >= range.min) && amount <= range.max;
}
