import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  AuthorizePaymentSchema,
  CapturePaymentSchema,
  CommitStockSchema,
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
  OrderRejectedSchema,
  ReleaseStockSchema,
  ReserveStockSchema,
  VoidPaymentSchema,
} from "@tessera/contracts/orders/v1";
import type { Order, OrderLine } from "./order.ts";

/** The messages the saga publishes (its events and the commands to inventory and payments), by type. */
export const sagaMessageSchemas = {
  OrderPlaced: OrderPlacedSchema,
  OrderConfirmed: OrderConfirmedSchema,
  OrderRejected: OrderRejectedSchema,
  OrderCancelled: OrderCancelledSchema,
  ReserveStock: ReserveStockSchema,
  ReleaseStock: ReleaseStockSchema,
  CommitStock: CommitStockSchema,
  AuthorizePayment: AuthorizePaymentSchema,
  CapturePayment: CapturePaymentSchema,
  VoidPayment: VoidPaymentSchema,
} as const;

type Schemas = typeof sagaMessageSchemas;
type MessageOf<K extends keyof Schemas> = { type: K; data: MessageInitShape<Schemas[K]> };

export type OrderEvent = MessageOf<"OrderPlaced" | "OrderConfirmed" | "OrderRejected" | "OrderCancelled">;
export type Command = MessageOf<
  "ReserveStock" | "ReleaseStock" | "CommitStock" | "AuthorizePayment" | "CapturePayment" | "VoidPayment"
>;

/** The order's total as the contracts' Money. */
export const total = (order: Order) => ({ currencyCode: order.currency, amountMinor: order.totalMinor });

/** Asks payments to hold the order's total on the card. */
export const authorizePayment = (order: Order, cardToken: string): Command => ({
  type: "AuthorizePayment",
  data: { orderId: order.id, userId: order.userId, amount: total(order), cardToken },
});

/** The compensations and endings of an order, each with why. */
export const releaseStock = (order: Order, reason: string): Command => ({
  type: "ReleaseStock",
  data: { orderId: order.id, reason },
});

export const voidPayment = (order: Order, reason: string): Command => ({
  type: "VoidPayment",
  data: { orderId: order.id, reason },
});

export const rejected = (order: Order, reason: string): OrderEvent => ({
  type: "OrderRejected",
  data: { orderId: order.id, userId: order.userId, reason },
});

export const cancelled = (order: Order, reason: string): OrderEvent => ({
  type: "OrderCancelled",
  data: { orderId: order.id, userId: order.userId, reason },
});

/** One line per SKU: the cart may list a product once, but inventory counts by SKU. */
export function stockLines(lines: readonly OrderLine[]): { sku: string; quantity: number }[] {
  const bySku = new Map<string, number>();
  for (const line of lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
  return [...bySku].map(([sku, quantity]) => ({ sku, quantity }));
}
