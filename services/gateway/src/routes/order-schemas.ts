import { pageLinkHeaders } from "./links.ts";
import { orderStatuses } from "./order-json.ts";
import { cancelledOrderExample, example, exampleIds, orderExample, pendingOrderExample } from "./examples.ts";
import { pageQuerySchema, pageSchema, problem, uuidParams } from "./shared-schemas.ts";

/** JSON schemas of checkout and the orders API: validation, serialization and the OpenAPI document. */

export const orderSchema = {
  $id: "Order",
  type: "object",
  required: ["id", "userId", "status", "items", "subtotal", "total", "reason", "createTime", "updateTime"],
  properties: {
    id: { type: "string", format: "uuid" },
    userId: { type: "string" },
    status: {
      type: "string",
      "x-extensible-enum": orderStatuses,
      description:
        "Where the order is in checkout: `pending` → `stock_reserved` or `payment_authorized` (stock and payment are asked for at once) → `confirmed`, or `rejected` / `cancelled`. Extensible: new statuses may be added, so a client must accept one it does not know (show it as in progress).",
      examples: ["confirmed"],
    },
    items: {
      type: "array",
      items: { $ref: "LineItem#" },
      description: "What was ordered, as it was in the cart's `items`, at the prices charged.",
    },
    subtotal: { $ref: "Money#", description: "The sum of the items' `lineTotal`, as in the cart." },
    total: { $ref: "Money#", description: "What the order charges the card." },
    reason: {
      type: ["object", "null"],
      description:
        "Why the order was rejected or cancelled; null otherwise. Switch on `code` (extensible: treat an unknown code as a generic failure): `out-of-stock`, `reservation-expired`, `reservation-timeout`, `payment-timeout`, `cancelled-by-user`, or the payment's decline: `insufficient-funds`, `expired-card`, `invalid-card`, `card-declined`, `payment-unavailable`. `message` is for people.",
      required: ["code", "message"],
      additionalProperties: false,
      properties: {
        code: { type: "string", examples: ["out-of-stock"] },
        message: { type: "string", examples: ["not enough stock: TENT-2P: 0 of 1 available"] },
      },
    },
    createTime: { type: "string", format: "date-time" },
    updateTime: { type: "string", format: "date-time" },
  },
} as const;

export const orderPageSchema = pageSchema("OrderPage", "orders", "Order");

export const checkoutSchema = {
  $id: "Checkout",
  type: "object",
  additionalProperties: false,
  required: ["cardToken"],
  properties: {
    cardToken: {
      type: "string",
      minLength: 1,
      maxLength: 128,
      description:
        "The card to charge: a token from the card form (the payments service documents test cards).",
    },
  },
} as const;

export const orderSchemas = [orderSchema, orderPageSchema, checkoutSchema] as const;

export const idempotencyKeyHeader = "Idempotency-Key";

const orderParamsSchema = uuidParams("id", "The order's id.", exampleIds.order);

const unavailable = problem("The orders service is unavailable; see `Retry-After`.");

export const checkoutRouteSchema = {
  operationId: "checkout",
  summary: "Place an order for the cart",
  description:
    "Turns the user's cart, at the catalog's current prices, into a `pending` order and starts checkout: stock is reserved, then the card is authorized, and the order becomes `confirmed` or `rejected` — follow it at `Location`.\n\n" +
    "**A cart becomes at most one order**: checking out a cart that an order was already placed from, under another key, is a 409 (`cart-already-ordered`, naming the order).\n\n" +
    "**Idempotency** (the IETF httpapi Idempotency-Key draft): keys belong to the user and expire 24 hours after first use. Retrying with the same key and the same body returns the same order (201 again, with `Idempotent-Replayed: true`), never a second one. The same key with a different body is a 422 (`idempotency-key-reused`). The same key while the first request is still being handled is a 409 (`idempotency-key-in-use`): retry after it finishes. A request that failed leaves its key free for a retry.\n\n" +
    "**Limits**: a total outside what one payment can take (1 to 10,000,000,000 minor units) is a 422 (`order-total-out-of-range`).",
  tags: ["checkout"],
  headers: {
    type: "object",
    required: [idempotencyKeyHeader],
    properties: {
      [idempotencyKeyHeader]: {
        type: "string",
        pattern: "^[\\w.:-]{1,128}$",
        description:
          "Chosen by the client, one per checkout (a UUID is ideal): 1 to 128 letters, digits and `_ . : -`. Send the same key to retry.",
      },
    },
  },
  body: { $ref: "Checkout#" },
  "x-examples": {
    request: example("Pay with the approving test card", { cardToken: "tok_visa_approve" }),
    201: example("The order placed, checkout under way", pendingOrderExample),
  },
  response: {
    201: {
      description: "The order, new or placed before with this key.",
      headers: {
        Location: {
          type: "string",
          format: "uri",
          description: "The order's absolute URL, on the gateway's public origin (`PUBLIC_URL`).",
          examples: [`http://127.0.0.1:8080/api/v1/orders/${exampleIds.order}`],
        },
        "Idempotent-Replayed": {
          type: "string",
          enum: ["true"],
          description: "Present when an earlier request with the same key and body placed this order.",
        },
      },
      $ref: "Order#",
    },
    400: problem("The body or the `Idempotency-Key` header is invalid; `errors` says which."),
    409: problem(
      "`cart-empty`: nothing to order. `cart-already-ordered`: an order was already placed from this cart. `idempotency-key-in-use`: a request with this key is still being handled; retry.",
    ),
    422: problem(
      "`idempotency-key-reused`: the key was used with a different body. `order-total-out-of-range`: the total is outside what one payment can take.",
    ),
    503: problem(
      "The orders service, the cart or the catalog is unavailable, or the catalog could not confirm current prices; see `Retry-After`.",
    ),
    default: problem("Any other error."),
  },
} as const;

export const listOrdersSchema = {
  operationId: "listOrders",
  summary: "List the user's orders",
  description: "Newest first. Page with `page_token`.",
  tags: ["orders"],
  querystring: pageQuerySchema,
  "x-examples": { 200: example("The last page", { orders: [orderExample], nextPageToken: "" }) },
  response: {
    200: { description: "A page of orders.", $ref: "OrderPage#", headers: pageLinkHeaders },
    400: problem("A parameter is invalid; `errors` says which."),
    503: unavailable,
    default: problem("Any other error."),
  },
} as const;

export const getOrderSchema = {
  operationId: "getOrder",
  summary: "Get one of the user's orders",
  description:
    "The order as checkout has it now. To follow an order until it settles, read `GET /api/v1/orders/{id}/events` (pushed as each step commits) rather than polling this.",
  tags: ["orders"],
  params: orderParamsSchema,
  "x-examples": { 200: example("A confirmed order", orderExample) },
  response: {
    200: { description: "The order.", $ref: "Order#" },
    400: problem("The id is not a UUID."),
    404: problem("The user has no order with this id."),
    503: unavailable,
    default: problem("Any other error."),
  },
} as const;

export const cancelOrderSchema = {
  operationId: "cancelOrder",
  summary: "Cancel an order",
  description:
    "Cancels an order whose payment is not captured yet, releasing its stock and payment. Cancelling a cancelled order changes nothing.",
  tags: ["orders"],
  params: orderParamsSchema,
  "x-examples": { 200: example("The order, cancelled", cancelledOrderExample) },
  response: {
    200: { description: "The order, now `cancelled`.", $ref: "Order#" },
    400: problem("The id is not a UUID."),
    404: problem("The user has no order with this id."),
    409: problem("The order can no longer be cancelled: its payment is captured, or it was rejected."),
    503: unavailable,
    default: problem("Any other error."),
  },
} as const;

/** The SSE text of one `order` event, as the example of the event stream. */
const orderEventExample = `retry: 1000\n\nevent: order\nid: ${orderExample.updateTime}\ndata: ${JSON.stringify(orderExample)}\n\n`;

export const orderEventsSchema = {
  operationId: "watchOrder",
  summary: "Follow an order's status as Server-Sent Events",
  description:
    "A `text/event-stream` (Server-Sent Events, as `EventSource` reads it): the order at once, then the order again after each change of its status, pushed when checkout commits it — no polling. Each change is one `event: order` whose `data` is the order as `GET /api/v1/orders/{id}` returns it and whose `id` is its `updateTime`. Comment lines (`: heartbeat`) keep idle connections open.\n\n" +
    "**The stream ends** after an order reaches a final status (`confirmed`, `rejected`, `cancelled`), and otherwise after 60 seconds: reconnect then (`EventSource` does, after the `retry` delay). A reconnect may send `Last-Event-ID`; it is accepted, and the stream begins with the order as it is now again, so no change is missed.\n\n" +
    "**Limits**: a few streams per user at once (429 `too-many-watchers-per-user` beyond; close one, or read the order with `GET`).",
  tags: ["orders"],
  params: orderParamsSchema,
  headers: {
    type: "object",
    properties: {
      "Last-Event-ID": {
        type: "string",
        maxLength: 128,
        description:
          "The `id` of the last event received, sent by `EventSource` when it reconnects; accepted and not needed.",
      },
    },
  },
  "x-examples": { 200: example("The order, confirmed: the stream ends after it", orderEventExample) },
  response: {
    200: {
      description:
        "The stream: `event: order` events, each with an `id` and the order JSON as `data`, and `: heartbeat` comments.",
      content: {
        "text/event-stream": {
          schema: { type: "string", description: "Server-Sent Events (HTML Living Standard, §9.2)." },
        },
      },
    },
    400: problem("The id is not a UUID."),
    404: problem("The user has no order with this id."),
    503: unavailable,
    default: problem("Any other error."),
  },
} as const;
