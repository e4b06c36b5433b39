import type { DeclineCode } from "@tessera/contracts/reasons";

/**
 * The order as the saga sees it. `status` is what the customer sees; `stock` and `payment` are what
 * the orders service knows of (or last asked of) inventory and payments, so that late, duplicate
 * and out-of-order answers can be compensated exactly once.
 */
/**
 * Why an order ended, as a code a client switches on: the saga's own, or the payment's decline
 * code when the payment was declined. Extensible: clients must accept codes they do not know.
 */
export type OrderReasonCode =
  | "out-of-stock"
  | "reservation-expired"
  | "reservation-timeout"
  | "payment-timeout"
  | "cancelled-by-user"
  | DeclineCode;

export interface Order {
  /** UUIDv7. */
  id: string;
  userId: string;
  /** The cart the order was made of; "" for orders placed before carts had ids. */
  cartId: string;
  status: OrderStatus;
  /** The cart as it was when the order was placed; never changes afterwards. */
  lines: readonly OrderLine[];
  /** ISO 4217; every line is in it. */
  currency: string;
  totalMinor: bigint;
  /**
   * The card to authorize. This is already a payment processor's token, never card data; a real
   * system would keep a reference to a stored payment method instead. It is only needed until
   * AuthorizePayment is sent, so every transition out of PENDING erases it.
   */
  cardToken: string;
  /** Why the order was rejected or cancelled, as prose; empty otherwise. */
  reason: string;
  /** The same as a stable code (Order.reason_detail.code); empty otherwise. */
  reasonCode: OrderReasonCode | "";
  stock: StockState;
  payment: PaymentState;
  /** The payments service's id, once it authorized. */
  paymentId: string;
  /** When the current step times out; null once the order no longer waits for anything. */
  deadline: Date | null;
  /** Incremented by every saved transition. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrderLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  /** Per unit, in the order's currency. */
  unitPriceMinor: bigint;
}

/**
 * PENDING (waiting for stock and payment, asked for together) → STOCK_RESERVED (the stock is held,
 * waiting for the payment) or PAYMENT_AUTHORIZED (the payment is held, waiting for the stock) →
 * CONFIRMED; or REJECTED / CANCELLED. The payment is captured only by the transaction that confirms,
 * so a cancel of a PAYMENT_AUTHORIZED order voids a hold and never races a capture.
 */
export type OrderStatus =
  "PENDING" | "STOCK_RESERVED" | "PAYMENT_AUTHORIZED" | "CONFIRMED" | "REJECTED" | "CANCELLED";

/** The statuses an order never leaves. */
export const finalStatuses: ReadonlySet<OrderStatus> = new Set(["CONFIRMED", "REJECTED", "CANCELLED"]);

/**
 * The stock hold at inventory: `requested` (ReserveStock sent, no answer yet), `reserved`,
 * `rejected`, `releasing` (ReleaseStock sent), `released`, `committing` (CommitStock sent).
 */
export type StockState = "requested" | "reserved" | "rejected" | "releasing" | "released" | "committing";

/**
 * The payment at payments: `none` (not asked yet: only orders placed before the payment was asked for
 * with the stock), `requested` (AuthorizePayment sent, no answer yet), `authorized` (held, waiting for
 * the stock), `declined`, `voiding` (VoidPayment sent), `voided`, `capturing` (CapturePayment sent), `captured`.
 */
export type PaymentState =
  "none" | "requested" | "authorized" | "declined" | "voiding" | "voided" | "capturing" | "captured";
