import { ServiceError } from "@tessera/kit";

/**
 * The chart of accounts. The ledger records the flow of funds: a journal line moves money into
 * an account (positive amount) or out of it (negative), and every entry's lines sum to zero, so
 * money is never created or lost inside the ledger and the whole journal sums to zero. Accounts
 * exist per currency.
 *
 * | Account               | Balance means                                                           |
 * |-----------------------|-------------------------------------------------------------------------|
 * | `customer:<user id>`  | minus what the customer's card is down by: open holds plus captures, less refunds |
 * | `processor:clearing`  | money in flight at the processor: authorized on a card, neither captured nor released; always the sum of open authorizations |
 * | `merchant:revenue`    | everything captured (gross sales)                                        |
 * | `merchant:refunds`    | minus everything refunded (contra-revenue: net sales = revenue + refunds) |
 *
 * Postings, for a payment of A and a refund of R:
 *
 * | Event         | Lines                                              | Why |
 * |---------------|----------------------------------------------------|-----|
 * | authorization | customer −A, processor:clearing +A                 | the hold: the card's available funds drop by A at once, as the cardholder sees it |
 * | capture       | processor:clearing −A, merchant:revenue +A         | the held money becomes the merchant's |
 * | void          | processor:clearing −A, customer +A                 | the hold is released back to the card |
 * | refund        | merchant:refunds −R, customer +R                   | money goes back to the card, out of the refunds account, never silently out of revenue |
 *
 * Booking the hold (rather than posting nothing until capture) keeps every open authorization
 * visible in the ledger — `processor:clearing` must equal the authorized payments' total — and
 * makes a void a real reversing entry, as every correction in an append-only journal is.
 */
export const accounts = {
  clearing: "processor:clearing",
  revenue: "merchant:revenue",
  refunds: "merchant:refunds",
  customer: (userId: string) => `customer:${userId}`,
} as const;

export type EntryKind = "authorization" | "capture" | "void" | "refund";

export interface JournalLine {
  account: string;
  /** Minor units; positive into the account, negative out of it; never zero. */
  amountMinor: bigint;
}

export interface JournalEntry {
  kind: EntryKind;
  paymentId: string;
  /** Set on refunds only. */
  refundId?: string;
  currency: string;
  lines: JournalLine[];
  /** The processor's reference of the movement. */
  reference: string;
}

interface Movement {
  paymentId: string;
  userId: string;
  currency: string;
  amountMinor: bigint;
  reference: string;
}

/** The hold of an authorization: the customer's money moves into processor clearing. */
export function authorizationEntry(m: Movement): JournalEntry {
  return entry("authorization", m, accounts.customer(m.userId), accounts.clearing);
}

/** A capture: the held money moves from clearing into revenue. */
export function captureEntry(m: Movement): JournalEntry {
  return entry("capture", m, accounts.clearing, accounts.revenue);
}

/** A void: the held money goes back from clearing to the customer. */
export function voidEntry(m: Movement): JournalEntry {
  return entry("void", m, accounts.clearing, accounts.customer(m.userId));
}

/** A refund: money goes back to the customer out of the refunds account. */
export function refundEntry(m: Movement & { refundId: string }): JournalEntry {
  return { ...entry("refund", m, accounts.refunds, accounts.customer(m.userId)), refundId: m.refundId };
}

function entry(kind: EntryKind, m: Movement, from: string, to: string): JournalEntry {
  return assertBalanced({
    kind,
    paymentId: m.paymentId,
    currency: m.currency,
    reference: m.reference,
    lines: [
      { account: from, amountMinor: -m.amountMinor },
      { account: to, amountMinor: m.amountMinor },
    ],
  });
}

/**
 * Refuses an entry that would break double entry: fewer than two lines, a zero line, or lines not
 * summing to zero. The database checks the same at commit; this catches it before any I/O.
 */
export function assertBalanced(journalEntry: JournalEntry): JournalEntry {
  const { lines, kind } = journalEntry;
  if (lines.length < 2) throw new ServiceError("internal", `a ${kind} entry needs at least two lines`);
  if (lines.some((line) => line.amountMinor === 0n)) {
    throw new ServiceError("internal", `a ${kind} entry has a zero line`);
  }
  const sum = lines.reduce((total, line) => total + line.amountMinor, 0n);
  if (sum !== 0n) throw new ServiceError("internal", `a ${kind} entry is unbalanced by ${sum}`);
  return journalEntry;
}
