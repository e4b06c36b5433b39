import { EventEmitter, on } from "node:events";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ReasonSchema } from "@tessera/contracts/common/v1";
import { OrdersService, OrderStatus, type Order } from "@tessera/contracts/orders/v1";
import { newId, ServiceError } from "@tessera/kit";
import type { FakeCart } from "./fake-cart.ts";
import { createFakeClient, pageOf } from "./fake-client.ts";

// Before payment is captured, an order can still be cancelled (the saga compensates).
const cancellable = new Set<OrderStatus>([
  OrderStatus.PENDING,
  OrderStatus.STOCK_RESERVED,
  OrderStatus.PAYMENT_AUTHORIZED,
]);

const finished = new Set<OrderStatus>([OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.CANCELLED]);

/**
 * A stand-in for the orders service, with its rules: PlaceOrder snapshots the user's cart into a
 * PENDING order (the cart then empties, as on OrderPlaced), the same idempotency key returns the
 * same order, a user sees only their own orders (another's is not_found), lists are newest first,
 * only an order not yet confirmed or rejected can be cancelled, and WatchOrder streams an order
 * until it is finished. `advance` plays the saga's part.
 */
export function createFakeOrders(cart: FakeCart, now: () => number = Date.now) {
  const orders: Order[] = [];
  const byKey = new Map<string, Order>();
  const tokens = new Map<string, string>();
  // Emits an order's id when it changes, for WatchOrder.
  const changes = new EventEmitter().setMaxListeners(0);

  const own = (userId: string, orderId: string): Order => {
    const order = orders.find((o) => o.id === orderId && o.userId === userId);
    if (!order) throw new ServiceError("not_found", `order ${orderId} not found`);
    return order;
  };

  const place = (userId: string, key: string, cardToken: string): Order => {
    const { items, subtotal } = cart.cartOf(userId);
    if (items.length === 0) {
      throw new ServiceError("failed_precondition", "the cart is empty", { reason: "cart-empty" });
    }
    const time = timestampFromMs(now());
    const order: Order = {
      $typeName: "tessera.orders.v1.Order",
      id: newId(),
      userId,
      status: OrderStatus.PENDING,
      lines: items.map((item) => ({ ...item, $typeName: "tessera.orders.v1.OrderLine" })),
      total: subtotal,
      reason: "",
      createTime: time,
      updateTime: time,
    };
    orders.push(order);
    byKey.set(key, order);
    tokens.set(order.id, cardToken);
    cart.clear(userId);
    return order;
  };

  const fake = createFakeClient(OrdersService, {
    placeOrder: ({ userId, idempotencyKey, cardToken }) => {
      if (idempotencyKey === "" || cardToken === "") {
        throw new ServiceError("invalid_argument", "idempotency_key and card_token are required");
      }
      const key = `${userId}\n${idempotencyKey}`;
      const placed = byKey.get(key);
      if (placed && tokens.get(placed.id) !== cardToken) {
        throw new ServiceError("invalid_argument", "this Idempotency-Key was used with a different request", {
          reason: "idempotency-key-reused",
        });
      }
      if (placed) return { order: { ...placed }, replayed: true };
      return { order: { ...place(userId, key, cardToken) }, replayed: false };
    },
    getOrder: ({ userId, orderId }) => ({ order: { ...own(userId, orderId) } }),
    listMyOrders: ({ userId, pageSize, pageToken }) => {
      const mine = orders.filter((o) => o.userId === userId).reverse();
      const { page, nextPageToken } = pageOf(mine, pageSize, pageToken);
      return { orders: page, nextPageToken };
    },
    cancelOrder: ({ userId, orderId }) => {
      const order = own(userId, orderId);
      if (cancellable.has(order.status)) {
        order.status = OrderStatus.CANCELLED;
        order.reason = "cancelled by the customer";
        order.reasonDetail = create(ReasonSchema, { code: "cancelled-by-user", message: order.reason });
        order.updateTime = timestampFromMs(now());
        changes.emit(order.id);
      } else if (order.status !== OrderStatus.CANCELLED) {
        throw new ServiceError("failed_precondition", `order ${order.id} can no longer be cancelled`, {
          reason: "order-not-cancellable",
        });
      }
      return { order: { ...order } };
    },
    async *watchOrder({ userId, orderId }, signal) {
      const order = own(userId, orderId);
      const changed = on(changes, orderId, { signal });
      yield { order: { ...order } };
      try {
        while (!finished.has(order.status)) {
          await changed.next();
          yield { order: { ...order } };
        }
      } catch (error) {
        if (!signal.aborted) throw error;
      } finally {
        await changed.return?.();
      }
    },
  });
  return {
    ...fake,
    /** Moves an order on, as the saga would. */
    advance(orderId: string, status: OrderStatus, reason?: { code: string; message: string }) {
      const order = orders.find((o) => o.id === orderId);
      if (!order) throw new Error(`no order ${orderId}`);
      const reasonDetail = reason && create(ReasonSchema, reason);
      Object.assign(order, {
        status,
        reason: reason?.message ?? "",
        reasonDetail,
        updateTime: timestampFromMs(now()),
      });
      changes.emit(orderId);
    },
  };
}
