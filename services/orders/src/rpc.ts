import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { OrderStatus, type OrderSchema, type OrdersService } from "@tessera/contracts/orders/v1";
import { annotateSpan, ORDER_ID_ATTRIBUTE, type ServiceImpl } from "@tessera/kit";
import type { Order, OrderStatus as Status } from "./order.ts";
import type { OrderWatch } from "./order-watch.ts";
import type { Orders, Page } from "./orders.ts";

/** gRPC handlers: map protobuf ↔ domain; errors are ServiceErrors from the domain. */
export function ordersHandlers(orders: Orders, watch: OrderWatch): ServiceImpl<typeof OrdersService> {
  return {
    async placeOrder(request) {
      const { order, replayed } = await orders.place(request);
      // `npm run trace -- <order id>` finds the checkout's trace by this attribute.
      annotateSpan({ [ORDER_ID_ATTRIBUTE]: order.id });
      return { order: toMessage(order), replayed };
    },
    async getOrder(request) {
      return { order: toMessage(await orders.get(request.userId, request.orderId)) };
    },
    async listMyOrders(request) {
      return toPage(await orders.listMine(request));
    },
    async cancelOrder(request) {
      return { order: toMessage(await orders.cancel(request.userId, request.orderId)) };
    },
    async *watchOrder(request, context) {
      // The stream waits for changes, not for a database call: its deadline must stop the wait too.
      const signal =
        context.deadline === undefined
          ? context.signal
          : AbortSignal.any([
              context.signal,
              AbortSignal.timeout(Math.max(0, context.deadline - Date.now())),
            ]);
      for await (const order of watch.watch(request.userId, request.orderId, signal))
        yield { order: toMessage(order) };
    },
    async listOrders(request) {
      return toPage(await orders.list(request));
    },
  };
}

const statuses: Record<Status, OrderStatus> = {
  PENDING: OrderStatus.PENDING,
  STOCK_RESERVED: OrderStatus.STOCK_RESERVED,
  PAYMENT_AUTHORIZED: OrderStatus.PAYMENT_AUTHORIZED,
  CONFIRMED: OrderStatus.CONFIRMED,
  REJECTED: OrderStatus.REJECTED,
  CANCELLED: OrderStatus.CANCELLED,
};

const toPage = (page: Page) => ({ orders: page.orders.map(toMessage), nextPageToken: page.nextPageToken });

function toMessage(order: Order): MessageInitShape<typeof OrderSchema> {
  return {
    id: order.id,
    userId: order.userId,
    status: statuses[order.status],
    lines: order.lines.map((line) => ({
      productId: line.productId,
      sku: line.sku,
      name: line.name,
      quantity: line.quantity,
      unitPrice: { currencyCode: order.currency, amountMinor: line.unitPriceMinor },
    })),
    total: { currencyCode: order.currency, amountMinor: order.totalMinor },
    reason: order.reason,
    reasonDetail: order.reasonCode ? { code: order.reasonCode, message: order.reason } : undefined,
    createTime: timestampFromDate(order.createdAt),
    updateTime: timestampFromDate(order.updatedAt),
  };
}
