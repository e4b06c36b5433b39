/**
 * The codes of `tessera.common.v1.Reason` that more than one service writes, defined once: payments
 * declines with them (Payment.decline) and the orders service rejects an order with the same code
 * (Order.reason_detail). Codes are stable and kebab-case; new ones may be added.
 */
export const declineReasons = {
  "insufficient-funds": "the card has insufficient funds",
  "expired-card": "the card has expired",
  "invalid-card": "the card is not valid",
  "card-declined": "the card was declined",
  "payment-timeout": "the card processor did not answer in time",
  "payment-unavailable": "the card processor was unavailable",
} as const;

export type DeclineCode = keyof typeof declineReasons;

// What payments stores and publishes (PaymentDeclined.reason): the processor's own words.
const byProcessorCode: Record<string, DeclineCode> = {
  insufficient_funds: "insufficient-funds",
  expired_card: "expired-card",
  invalid_card: "invalid-card",
  processor_timeout: "payment-timeout",
  processor_rejected: "card-declined",
  processor_unavailable: "payment-unavailable",
};

/**
 * The decline reason of a processor's decline code (`insufficient_funds`); a code this table does
 * not know is a plain `card-declined`.
 *
 * @example
 *   declineReasonOf("insufficient_funds") // { code: "insufficient-funds", message: "the card has insufficient funds" }
 */
export function declineReasonOf(processorCode: string): { code: DeclineCode; message: string } {
  const code = byProcessorCode[processorCode] ?? "card-declined";
  return { code, message: declineReasons[code] };
}
