import { limits, withinLimit } from "@tessera/contracts/limits";
import { isUuid, ServiceError } from "@tessera/kit";
import { authorizationEntry, captureEntry, refundEntry, voidEntry, type JournalEntry } from "./ledger.ts";

/**
 * A payment intent, one per order:
 *
 *   authorized ──capture──▶ captured ──refund (in part)──▶ captured ──refund (the rest)──▶ refunded
 *        └──────void─────▶ voided            declined (the processor said no; final)
 *
 * Every transition is a pure function returning the next payment and the journal entry it posts,
 * or `unchanged` when the command was already applied (a repeat publishes nothing).
 */
export type PaymentStatus = "authorized" | "declined" | "captured" | "voided" | "refunded";

export interface Payment {
  id: string;
  orderId: string;
  userId: string;
  status: PaymentStatus;
  currency: string;
  amountMinor: bigint;
  capturedMinor: bigint;
  refundedMinor: bigint;
  /** The processor's authorization id; empty when declined. */
  authorizationId: string;
  declineReason: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface Money {
  currency: string;
  amountMinor: bigint;
}

export type Transition = { kind: "unchanged" } | { kind: "changed"; payment: Payment; entry: JournalEntry };

/** A void that arrives before any authorization leaves this mark, so a late authorization is refused. */
export const noCurrency = "XXX";
/** What one payment may be, shared with the orders service so it never places an order it cannot pay. */
const { min: minAmountMinor, max: maxAmountMinor } = limits.paymentAmountMinor;

const userIdPattern = /^[^\s\p{Cc}]{1,128}$/u;

export function requireOrderId(orderId: string): string {
  if (!isUuid(orderId)) throw new ServiceError("invalid_argument", "order_id must be a UUID");
  return orderId.toLowerCase();
}

export function requireMoney(
  money: { currencyCode: string; amountMinor: bigint } | undefined,
  field: string,
): Money {
  if (!money) throw new ServiceError("invalid_argument", `${field} is required`);
  if (!/^[A-Z]{3}$/.test(money.currencyCode) || money.currencyCode === noCurrency) {
    throw new ServiceError("invalid_argument", `${field}.currency_code must be an ISO 4217 code such as USD`);
  }
  if (!withinLimit(money.amountMinor, limits.paymentAmountMinor)) {
    throw new ServiceError(
      "invalid_argument",
      `${field}.amount_minor must be between ${minAmountMinor} and ${maxAmountMinor}`,
    );
  }
  return { currency: money.currencyCode, amountMinor: money.amountMinor };
}

export interface AuthorizeCommand {
  orderId: string;
  userId: string;
  amount: Money;
  cardToken: string;
}

/** Validates an AuthorizePayment command; a malformed one is a producer bug, refused as invalid_argument. */
export function authorizeCommand(data: {
  orderId: string;
  userId: string;
  amount?: { currencyCode: string; amountMinor: bigint };
  cardToken: string;
}): AuthorizeCommand {
  if (!userIdPattern.test(data.userId)) {
    throw new ServiceError("invalid_argument", "user_id must be 1-128 characters without spaces");
  }
  return {
    orderId: requireOrderId(data.orderId),
    userId: data.userId,
    amount: requireMoney(data.amount, "amount"),
    cardToken: data.cardToken,
  };
}

const cardTokenPattern = /^[^\p{Cc}]{0,256}$/u;

/**
 * Whether a card token could be sent to a processor at all: at most 256 characters, none a control
 * character. Any other is declined as `invalid_card` without asking (nor storing it).
 */
export const plausibleCardToken = (token: string): boolean => cardTokenPattern.test(token);

/** The processor's answer to an authorization, as the domain needs it. */
export type Authorization = { approved: true; authorizationId: string } | { approved: false; reason: string };

/** The payment an authorization creates, and the hold it books when approved. */
export function authorized(
  command: AuthorizeCommand,
  answer: Authorization,
  id: string,
  now: Date,
): { payment: Payment; entry?: JournalEntry } {
  const payment: Payment = {
    id,
    orderId: command.orderId,
    userId: command.userId,
    status: answer.approved ? "authorized" : "declined",
    currency: command.amount.currency,
    amountMinor: command.amount.amountMinor,
    capturedMinor: 0n,
    refundedMinor: 0n,
    authorizationId: answer.approved ? answer.authorizationId : "",
    declineReason: answer.approved ? "" : answer.reason,
    createdAt: now,
    updatedAt: now,
  };
  if (!answer.approved) return { payment };
  return {
    payment,
    entry: authorizationEntry(movement(payment, payment.amountMinor, answer.authorizationId)),
  };
}

/** Marks an order voided before any payment existed for it (the saga gave up first). */
export function voidedBeforeAuthorization(orderId: string, id: string, now: Date): Payment {
  return {
    id,
    orderId,
    userId: "",
    status: "voided",
    currency: noCurrency,
    amountMinor: 0n,
    capturedMinor: 0n,
    refundedMinor: 0n,
    authorizationId: "",
    declineReason: "",
    createdAt: now,
    updatedAt: now,
  };
}

/** Takes the held amount. Capturing a captured payment changes nothing. */
export function capture(payment: Payment, now: Date): Transition {
  switch (payment.status) {
    case "captured":
    case "refunded":
      return { kind: "unchanged" };
    case "declined":
    case "voided":
      throw new ServiceError(
        "failed_precondition",
        `payment ${payment.id} is ${payment.status}; it cannot be captured`,
        { reason: "payment-not-capturable", metadata: { status: payment.status } },
      );
    case "authorized": {
      const next = {
        ...payment,
        status: "captured" as const,
        capturedMinor: payment.amountMinor,
        updatedAt: now,
      };
      return {
        kind: "changed",
        payment: next,
        entry: captureEntry(movement(payment, payment.amountMinor, "")),
      };
    }
  }
}

/** Releases the hold. Voiding a voided or declined payment changes nothing; a captured one is refunded instead. */
export function voidPayment(payment: Payment, now: Date): Transition {
  switch (payment.status) {
    case "voided":
    case "declined":
      return { kind: "unchanged" };
    case "captured":
    case "refunded":
      throw new ServiceError(
        "failed_precondition",
        `payment ${payment.id} is ${payment.status}; refund it instead of voiding`,
        { reason: "payment-not-voidable", metadata: { status: payment.status } },
      );
    case "authorized": {
      const next = { ...payment, status: "voided" as const, updatedAt: now };
      return {
        kind: "changed",
        payment: next,
        entry: voidEntry(movement(payment, payment.amountMinor, payment.authorizationId)),
      };
    }
  }
}

/** What is captured and not yet refunded. */
export const refundable = (payment: Payment): bigint => payment.capturedMinor - payment.refundedMinor;

/** Refunds part or all of what is captured; never more. */
export function refund(
  payment: Payment,
  amount: Money,
  refundId: string,
  now: Date,
): Extract<Transition, { kind: "changed" }> {
  if (amount.amountMinor <= 0n)
    throw new ServiceError("invalid_argument", "amount.amount_minor must be positive");
  if (payment.status !== "captured" && payment.status !== "refunded") {
    throw new ServiceError(
      "failed_precondition",
      `payment ${payment.id} is ${payment.status}; only a captured payment can be refunded`,
      { reason: "payment-not-refundable", metadata: { status: payment.status } },
    );
  }
  if (amount.currency !== payment.currency) {
    throw new ServiceError(
      "invalid_argument",
      `amount.currency_code must be ${payment.currency}, the payment's currency`,
    );
  }
  if (amount.amountMinor > refundable(payment)) {
    throw new ServiceError(
      "failed_precondition",
      `a refund of ${amount.amountMinor} exceeds the ${refundable(payment)} ${payment.currency} still refundable`,
      { reason: "refund-exceeds-captured", metadata: { refundable: String(refundable(payment)) } },
    );
  }
  const refundedMinor = payment.refundedMinor + amount.amountMinor;
  const next: Payment = {
    ...payment,
    refundedMinor,
    status: refundedMinor === payment.capturedMinor ? "refunded" : "captured",
    updatedAt: now,
  };
  return {
    kind: "changed",
    payment: next,
    entry: refundEntry({ ...movement(payment, amount.amountMinor, ""), refundId }),
  };
}

function movement(payment: Payment, amountMinor: bigint, reference: string) {
  return {
    paymentId: payment.id,
    userId: payment.userId,
    currency: payment.currency,
    amountMinor,
    reference,
  };
}
