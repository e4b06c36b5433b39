import type { OrdersService } from "@tessera/contracts/orders/v1";
import type { Client } from "@tessera/kit";
import { callerSignal } from "../request-context.ts";
import { userOf } from "../user.ts";
import type { Api } from "./api.ts";
import type { Links } from "./links.ts";
import { orderEventRoutes } from "./order-events.ts";
import { toOrderJson } from "./order-json.ts";
import { cancelOrderSchema, checkoutRouteSchema, getOrderSchema, listOrdersSchema } from "./order-schemas.ts";

/** The orders service as checkout and the orders API call it: the kit's typed client, or a fake of the same contract. */
export type OrdersClient = Client<typeof OrdersService>;

/** `POST /api/v1/checkout` and the user's orders under `/api/v1/orders`. */
export function orderRoutes(app: Api, { orders, links }: { orders: OrdersClient; links: Links }): void {
  app.post(
    "/api/v1/checkout",
    { config: { access: "user" }, schema: checkoutRouteSchema },
    async (request, reply) => {
      // Validated by the schema: present, and one key (a repeated header arrives joined by ", ", which fails).
      const idempotencyKey = request.headers["idempotency-key"];
      const { order, replayed } = await orders.placeOrder(
        { userId: userOf(request), idempotencyKey, cardToken: request.body.cardToken },
        { signal: callerSignal(request) },
      );
      const json = toOrderJson(order);
      // 201 for a retry too, as the first answer was; the header says it is a replay.
      reply.code(201).header("location", links.url(orderPath(json.id)));
      if (replayed) reply.header("idempotent-replayed", "true");
      return json;
    },
  );

  app.get(
    "/api/v1/orders",
    { config: { access: "user" }, schema: listOrdersSchema },
    async (request, reply) => {
      const { page_size: pageSize = 0, page_token: pageToken = "" } = request.query;
      const page = await orders.listMyOrders(
        { userId: userOf(request), pageSize, pageToken },
        { signal: callerSignal(request) },
      );
      return {
        orders: page.orders.map((order) => toOrderJson(order)),
        nextPageToken: page.nextPageToken,
        next: links.next(request, reply, page.nextPageToken),
      };
    },
  );

  app.get("/api/v1/orders/:id", { config: { access: "user" }, schema: getOrderSchema }, async (request) => {
    const signal = callerSignal(request);
    const { order } = await orders.getOrder(
      { userId: userOf(request), orderId: request.params.id },
      { signal },
    );
    return toOrderJson(order);
  });

  app.post(
    "/api/v1/orders/:id/cancel",
    { config: { access: "user" }, schema: cancelOrderSchema },
    async (request) => {
      const signal = callerSignal(request);
      const { order } = await orders.cancelOrder(
        { userId: userOf(request), orderId: request.params.id },
        { signal },
      );
      return toOrderJson(order);
    },
  );

  orderEventRoutes(app, { orders });
}

/** The path of an order, under the API's origin. */
export function orderPath(id: string): string {
  return `/api/v1/orders/${encodeURIComponent(id)}`;
}
