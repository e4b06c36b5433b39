import { ServiceError } from "@tessera/kit";

export type NotificationKind = "order_confirmed" | "order_rejected" | "order_cancelled";

/** What happened to an order, as the notifications service needs it (free of protobuf). */
export type OrderOutcome =
  | {
      kind: "order_confirmed";
      orderId: string;
      userId: string;
      total: { amountMinor: bigint; currencyCode: string } | undefined;
    }
  | { kind: "order_rejected" | "order_cancelled"; orderId: string; userId: string; reason: string };

/** A message to one user about one order, ready to store and e-mail. */
export interface Message {
  userId: string;
  orderId: string;
  kind: NotificationKind;
  subject: string;
  body: string;
}

// Ids come from other services' events: printable, no whitespace (they go into a mail subject).
const printableId = /^[^\s\p{C}]{1,200}$/u;

/**
 * The message telling a user what happened to their order. Throws `invalid_argument` when the event
 * names no usable user or order: such an event can never become a message, so it is dead-lettered.
 *
 * @example
 *   composeMessage({ kind: "order_rejected", orderId: "o-1", userId: "u-1", reason: "out of stock" }).subject
 *   // "Your order o-1 was not accepted"
 */
export function composeMessage(outcome: OrderOutcome): Message {
  const { orderId, userId } = outcome;
  if (!printableId.test(orderId))
    throw new ServiceError("invalid_argument", "order_id is missing or malformed");
  if (!printableId.test(userId))
    throw new ServiceError("invalid_argument", "user_id is missing or malformed");
  const message = (subject: string, lines: string[]): Message => ({
    userId,
    orderId,
    kind: outcome.kind,
    subject,
    body: ["Hello,", "", ...lines, "", "Thank you for shopping with Tessera."].join("\n"),
  });
  switch (outcome.kind) {
    case "order_confirmed":
      return message(`Your order ${orderId} is confirmed`, [
        `Your order ${orderId} is confirmed.`,
        outcome.total
          ? `Total: ${formatMoney(outcome.total.amountMinor, outcome.total.currencyCode)}`
          : "Your receipt shows the total.",
      ]);
    case "order_rejected":
      return message(`Your order ${orderId} was not accepted`, [
        `We could not accept your order ${orderId}.`,
        `Reason: ${describeReason(outcome.reason)}`,
      ]);
    case "order_cancelled":
      return message(`Your order ${orderId} was cancelled`, [
        `Your order ${orderId} was cancelled.`,
        `Reason: ${describeReason(outcome.reason)}`,
      ]);
  }
}

function describeReason(reason: string): string {
  // One line: a reason is a short phrase, and control characters have no place in a mail body.
  const line = reason
    .replace(/\p{C}+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return line === "" ? "no reason was given" : line.slice(0, 500);
}

/**
 * An amount in minor units as a human reads it, in the currency's own number of decimals; exact
 * for any bigint (never through a float).
 *
 * @example
 *   formatMoney(123456n, "USD") // "$1,234.56"
 *   formatMoney(500n, "JPY")    // "¥500"
 */
export function formatMoney(amountMinor: bigint, currencyCode: string): string {
  const currency = /^[A-Z]{3}$/.test(currencyCode) ? currencyCode : undefined;
  const format = currency
    ? new Intl.NumberFormat("en-US", { style: "currency", currency })
    : new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const negative = amountMinor < 0n;
  const magnitude = negative ? -amountMinor : amountMinor;
  const scale = 10n ** BigInt(digits);
  const fraction = digits > 0 ? `.${(magnitude % scale).toString().padStart(digits, "0")}` : "";
  // A decimal string is formatted exactly (Intl.NumberFormat v3), whatever its size.
  const decimal = `${negative ? "-" : ""}${magnitude / scale}${fraction}` as `${number}`;
  return currency ? format.format(decimal) : `${format.format(decimal)} ${currencyCode || "(no currency)"}`;
}

/**
 * Where a user's mail goes. Identity holds users' e-mail addresses, but notifications does not ask
 * it for them yet, so the address is `<user id>@<domain>` (NOTIFICATIONS_EMAIL_DOMAIN); user ids
 * are UUIDs, valid local parts.
 */
export function recipientAddress(userId: string, domain: string): string {
  if (!/^[A-Za-z0-9+_-]+(\.[A-Za-z0-9+_-]+)*$/.test(userId) || userId.length > 64) {
    throw new ServiceError("failed_precondition", "the user id cannot form an e-mail address");
  }
  return `${userId}@${domain}`;
}
