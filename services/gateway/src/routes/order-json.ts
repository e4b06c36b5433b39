import { OrderStatus, type Order } from "@tessera/contracts/orders/v1";
import { ServiceError } from "@tessera/kit";
import type { JsonOf } from "./api.ts";
import { toLineJson } from "./line-json.ts";
import type { orderSchema } from "./order-schemas.ts";
import { toIsoString, toMoneyJson } from "./product-json.ts";

/** An order's state in the checkout saga, as the API names it: `"pending"`, `"confirmed"`… */
export type OrderStatusJson = Lowercase<Exclude<keyof typeof OrderStatus, "UNSPECIFIED">>;

/** Every status the API can show, in saga order (for the schema's enum). */
export const orderStatuses = Object.keys(OrderStatus)
  .filter((name) => name !== "UNSPECIFIED")
  .map((name) => name.toLowerCase() as OrderStatusJson);

const statusNames = new Map<number, OrderStatusJson>(
  Object.entries(OrderStatus)
    .filter(([name]) => name !== "UNSPECIFIED")
    .map(([name, value]) => [value, name.toLowerCase() as OrderStatusJson]),
);

/** An order as the public API shows it. */
export type OrderJson = JsonOf<typeof orderSchema>;

export function toOrderJson(order: Order | undefined): OrderJson {
  // The contract always sets these; without them it is the orders service's bug, not the caller's.
  if (!order) throw new ServiceError("internal", "orders service returned no order");
  if (!order.total || !order.createTime || !order.updateTime) {
    throw new ServiceError("internal", `orders service returned order ${order.id} without total or times`);
  }
  const status = statusNames.get(order.status);
  if (status === undefined) {
    throw new ServiceError("internal", `orders service returned order ${order.id} in status ${order.status}`);
  }
  return {
    id: order.id,
    userId: order.userId,
    status,
    items: order.lines.map((line) => toLineJson(line)),
    subtotal: toMoneyJson(subtotalOf(order.lines, order.total)),
    total: toMoneyJson(order.total),
    reason: order.reason,
    createTime: toIsoString(order.createTime),
    updateTime: toIsoString(order.updateTime),
  };
}

type Money = NonNullable<Order["total"]>;

/** The sum of the lines at the prices charged, in the order's currency (every line shares it). */
function subtotalOf(lines: Order["lines"], total: Money): Money {
  const amountMinor = lines.reduce(
    (sum, line) => sum + (line.unitPrice?.amountMinor ?? 0n) * BigInt(line.quantity),
    0n,
  );
  return { ...total, amountMinor };
}
