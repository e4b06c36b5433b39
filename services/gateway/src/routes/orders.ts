import { callerSignal } from "../request-context.ts";
import type { FastifyInstance } from "fastify";
import type { OrdersService } from "@tessera/contracts/orders/v1";
import type { Client } from "@tessera/kit";
import { userOf } from "../user.ts";
import { toOrderJson, type OrderJson } from "./order-json.ts";
import {
  cancelOrderSchema,
  checkoutRouteSchema,
  getOrderSchema,
  listOrdersSchema,
  type CheckoutBody,
  type OrderParams,
} from "./order-schemas.ts";
import type { PageQuery } from "./shared-schemas.ts";

/** The orders calls checkout and the orders API make; the kit's typed client, or a stand-in in tests. */
export type OrdersClient = Pick<
  Client<typeof OrdersService>,
  "placeOrder" | "getOrder" | "listMyOrders" | "cancelOrder"
>;

interface OrderPageJson {
  orders: OrderJson[];
  nextPageToken: string;
}

/** `POST /api/v1/checkout` and the user's orders under `/api/v1/orders`. Needs the user hook. */
export function orderRoutes(app: FastifyInstance, { orders }: { orders: OrdersClient }): void {
  app.post<{ Body: CheckoutBody; Headers: { "idempotency-key": string } }>(
    "/api/v1/checkout",
    { schema: checkoutRouteSchema },
    async (request, reply): Promise<OrderJson> => {
      // Validated by the schema: present, and one key (a repeated header arrives joined by ", ", which fails).
      const idempotencyKey = request.headers["idempotency-key"];
      const { order, replayed } = await orders.placeOrder(
        { userId: userOf(request), idempotencyKey, cardToken: request.body.cardToken },
        { signal: callerSignal(request) },
      );
      const json = toOrderJson(order);
      // 201 for a retry too, as the first answer was; the header says it is a replay.
      reply.code(201).header("location", orderUrl(json.id));
      if (replayed) reply.header("idempotent-replayed", "true");
      return json;
    },
  );

  app.get<{ Querystring: PageQuery }>(
    "/api/v1/orders",
    { schema: listOrdersSchema },
    async (request): Promise<OrderPageJson> => {
      const { page_size: pageSize = 0, page_token: pageToken = "" } = request.query;
      const page = await orders.listMyOrders(
        { userId: userOf(request), pageSize, pageToken },
        { signal: callerSignal(request) },
      );
      return { orders: page.orders.map((order) => toOrderJson(order)), nextPageToken: page.nextPageToken };
    },
  );

  app.get<{ Params: OrderParams }>(
    "/api/v1/orders/:id",
    { schema: getOrderSchema },
    async (request): Promise<OrderJson> => {
      const { order } = await orders.getOrder(
        { userId: userOf(request), orderId: request.params.id },
        { signal: callerSignal(request) },
      );
      return toOrderJson(order);
    },
  );

  app.post<{ Params: OrderParams }>(
    "/api/v1/orders/:id/cancel",
    { schema: cancelOrderSchema },
    async (request): Promise<OrderJson> => {
      const { order } = await orders.cancelOrder(
        { userId: userOf(request), orderId: request.params.id },
        { signal: callerSignal(request) },
      );
      return toOrderJson(order);
    },
  );
}

export function orderUrl(id: string): string {
  return `/api/v1/orders/${encodeURIComponent(id)}`;
}
