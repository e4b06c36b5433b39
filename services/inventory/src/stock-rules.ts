/**
 * The inventory's rules as pure functions: what a reservation request means, whether it can be
 * held, when it expires. No SQL, no clock of their own — the store and the clock are the caller's.
 */

/** A line of an order as the saga sends it. */
export interface RequestedLine {
  sku: string;
  quantity: number;
}

/** A validated line: one per SKU, a positive quantity. */
export interface Line {
  sku: string;
  quantity: bigint;
}

/** What a SKU has now: units in the warehouse and units already held. */
export interface StockCounters {
  onHand: bigint;
  reserved: bigint;
}

export type Decision =
  { outcome: "reserved"; lines: Line[] } | { outcome: "rejected"; reason: string; shortSkus: string[] };

/** The catalog's SKU format: 2-64 upper-case letters, digits or dashes. */
export const skuPattern = /^[A-Z0-9][A-Z0-9-]{1,63}$/;
/** Lines of one reservation at most, and units of one line at most. */
export const maxLines = 100;
export const maxLineQuantity = 10_000;
/** The longest hold a ReserveStock may ask for: a week. */
export const maxTtlSeconds = 7 * 24 * 3600;

/**
 * The order's lines, one per SKU (quantities of a repeated SKU add up), sorted by SKU — the order
 * in which rows are locked, so two reservations never wait for each other in a cycle.
 */
export function normalizeLines(lines: readonly RequestedLine[]): { lines: Line[] } | { problem: string } {
  if (lines.length === 0) return { problem: "the order has no lines" };
  if (lines.length > maxLines) return { problem: `the order has more than ${maxLines} lines` };
  const bySku = new Map<string, bigint>();
  for (const line of lines) {
    if (!skuPattern.test(line.sku)) return { problem: `malformed SKU "${line.sku.slice(0, 64)}"` };
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > maxLineQuantity) {
      return { problem: `quantity of ${line.sku} must be between 1 and ${maxLineQuantity}` };
    }
    bySku.set(line.sku, (bySku.get(line.sku) ?? 0n) + BigInt(line.quantity));
  }
  return {
    lines: [...bySku]
      .map(([sku, quantity]) => ({ sku, quantity }))
      .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)),
  };
}

/**
 * All or nothing: the order is held only if every SKU is known and has the units available;
 * otherwise nothing is held and the reason names every short SKU.
 */
export function decideReservation(
  lines: readonly Line[],
  stock: ReadonlyMap<string, StockCounters>,
): Decision {
  const short: string[] = [];
  const details: string[] = [];
  for (const line of lines) {
    const counters = stock.get(line.sku);
    if (!counters) {
      short.push(line.sku);
      details.push(`${line.sku} (unknown SKU)`);
      continue;
    }
    const units = available(counters);
    if (units < line.quantity) {
      short.push(line.sku);
      details.push(`${line.sku} (requested ${line.quantity}, available ${units})`);
    }
  }
  if (short.length === 0) return { outcome: "reserved", lines: [...lines] };
  return { outcome: "rejected", reason: `insufficient stock: ${details.join(", ")}`, shortSkus: short };
}

/**
 * When a hold made at `now` expires: after `requestedSeconds`, or the default when 0.
 * A negative or over-long request is a malformed command.
 */
export function reservationExpiry(
  now: Date,
  requestedSeconds: number,
  defaultSeconds: number,
): { expiresAt: Date } | { problem: string } {
  const seconds = requestedSeconds === 0 ? defaultSeconds : requestedSeconds;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > maxTtlSeconds) {
    return { problem: `expire_after_seconds must be between 1 and ${maxTtlSeconds} (or 0 for the default)` };
  }
  return { expiresAt: new Date(now.getTime() + seconds * 1000) };
}

/** A hold expires at its expiry time: from then on it may be released, never committed. */
export function isExpired(reservation: { expiresAt: Date }, now: Date): boolean {
  return reservation.expiresAt.getTime() <= now.getTime();
}

/** Units that can still be held or sold: on hand but not held. */
export function available(counters: StockCounters): bigint {
  return counters.onHand - counters.reserved;
}
