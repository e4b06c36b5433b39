import { create, toJson, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import {
  StockRejectedSchema,
  StockReleasedSchema,
  StockReservedSchema,
} from "@tessera/contracts/inventory/v1";
import {
  PaymentAuthorizedSchema,
  PaymentCapturedSchema,
  PaymentDeclinedSchema,
  PaymentVoidedSchema,
} from "@tessera/contracts/payments/v1";
import { newId, type EventEnvelope } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Order } from "./order.ts";
import { sagaHandler } from "./saga-events.ts";
import { startTestOrders, type TestOrders } from "./testing/test-service.ts";

let t: TestOrders;
let handle: ReturnType<typeof sagaHandler>;

beforeAll(async () => {
  t = await startTestOrders({ cartAddress: "127.0.0.1:1" });
  handle = sagaHandler(t.saga);
});

afterAll(async () => {
  await t?.stop();
});

/** Delivers an event to the saga's subscription handler, in a transaction, as the kit's consumer does. */
async function deliver<D extends DescMessage>(schema: D, init: MessageInitShape<D>, subject?: string) {
  const data = create(schema, init);
  const envelope: EventEnvelope = {
    id: newId(),
    type: schema.typeName,
    source: schema.typeName.split(".")[1]!,
    subject: subject ?? (init as { orderId?: string }).orderId ?? "",
    time: new Date(),
    datacontenttype: "application/json",
    schemaVersion: 1,
    data: toJson(schema, data),
    traceparent: "",
    position: 1n,
  };
  await t.service.db.tx((tx) => handle({ envelope, data } as Parameters<typeof handle>[0], tx));
}

async function place(): Promise<Order> {
  const order = await t.service.db.tx((tx) =>
    t.saga.start(
      tx,
      {
        id: newId(),
        userId: "user-7",
        cartId: newId(),
        lines: [{ productId: "p1", sku: "LAMP", name: "Lamp", quantity: 1, unitPriceMinor: 4500n }],
        currency: "EUR",
        totalMinor: 4500n,
        cardToken: "tok_card",
      },
      newId(),
    ),
  );
  return order!;
}

/** The messages published about an order after the first `skip` (OrderPlaced, ReserveStock, AuthorizePayment). */
const published = async (orderId: string, skip = 3) => (await t.outbox(orderId)).slice(skip);
const state = async (orderId: string) => {
  const order = await t.store.get(orderId);
  return {
    status: order?.status,
    stock: order?.stock,
    payment: order?.payment,
    reason: order?.reason,
    reasonCode: order?.reasonCode,
  };
};

describe("the saga's subscription handler", () => {
  it("asked for payment with the card when the order was placed, and keeps no card token", async () => {
    const order = await place();
    expect((await t.outbox(order.id)).map((m) => m.type)).toEqual([
      "OrderPlaced",
      "ReserveStock",
      "AuthorizePayment",
    ]);
    expect((await t.outbox(order.id))[2]?.data).toEqual({
      orderId: order.id,
      userId: "user-7",
      amount: { currencyCode: "EUR", amountMinor: "4500" },
      cardToken: "tok_card",
    });
    expect((await t.store.get(order.id))?.cardToken).toBe("");
    await deliver(StockReservedSchema, { orderId: order.id });
    expect(await state(order.id)).toMatchObject({ status: "STOCK_RESERVED", stock: "reserved" });
    expect(await published(order.id)).toEqual([]);
  });

  it("rejects the order when inventory rejects the stock", async () => {
    const order = await place();
    await deliver(StockRejectedSchema, { orderId: order.id, reason: "LAMP: 0 of 1 available" });
    expect(await state(order.id)).toEqual({
      status: "REJECTED",
      stock: "rejected",
      payment: "requested",
      reason: "not enough stock: LAMP: 0 of 1 available",
      reasonCode: "out-of-stock",
    });
    expect(await published(order.id)).toEqual([
      {
        type: "OrderRejected",
        data: { orderId: order.id, userId: "user-7", reason: "not enough stock: LAMP: 0 of 1 available" },
      },
    ]);
  });

  it("confirms the order, captures the payment and commits the stock when payment is authorized", async () => {
    const order = await place();
    await deliver(StockReservedSchema, { orderId: order.id });
    await deliver(PaymentAuthorizedSchema, {
      orderId: order.id,
      paymentId: "pay-1",
      amount: { currencyCode: "EUR", amountMinor: 4500n },
    });
    expect(await state(order.id)).toMatchObject({
      status: "CONFIRMED",
      stock: "committing",
      payment: "capturing",
    });
    expect((await published(order.id, 3)).map((m) => m.type)).toEqual([
      "OrderConfirmed",
      "CapturePayment",
      "CommitStock",
    ]);
    await deliver(PaymentCapturedSchema, { orderId: order.id, paymentId: "pay-1" });
    expect(await state(order.id)).toMatchObject({ status: "CONFIRMED", payment: "captured" });
    expect(await published(order.id, 6)).toEqual([]);
  });

  it("releases stock and rejects the order when payment is declined", async () => {
    const order = await place();
    await deliver(StockReservedSchema, { orderId: order.id });
    await deliver(PaymentDeclinedSchema, { orderId: order.id, reason: "card declined" });
    expect(await state(order.id)).toMatchObject({
      status: "REJECTED",
      stock: "releasing",
      payment: "declined",
      reasonCode: "card-declined",
    });
    expect(await published(order.id, 3)).toEqual([
      {
        type: "OrderRejected",
        data: { orderId: order.id, userId: "user-7", reason: "payment declined: card declined" },
      },
      { type: "ReleaseStock", data: { orderId: order.id, reason: "payment declined: card declined" } },
    ]);
    await deliver(StockReleasedSchema, { orderId: order.id });
    expect(await state(order.id)).toMatchObject({ status: "REJECTED", stock: "released" });
  });

  it("cancels an order whose reservation expired while it waited for payment, and voids a late authorization", async () => {
    const order = await place();
    await deliver(StockReservedSchema, { orderId: order.id });
    await deliver(StockReleasedSchema, { orderId: order.id });
    expect(await state(order.id)).toMatchObject({
      status: "CANCELLED",
      stock: "released",
      payment: "requested",
    });
    await deliver(PaymentAuthorizedSchema, { orderId: order.id, paymentId: "pay-2" });
    await deliver(PaymentAuthorizedSchema, { orderId: order.id, paymentId: "pay-2" });
    expect((await published(order.id, 3)).map((m) => m.type)).toEqual(["OrderCancelled", "VoidPayment"]);
    await deliver(PaymentVoidedSchema, { orderId: order.id, paymentId: "pay-2" });
    expect(await state(order.id)).toMatchObject({ status: "CANCELLED", payment: "voided" });
  });

  it("releases stock reserved after the customer cancelled", async () => {
    const order = await place();
    await t.service.db.tx((tx) => t.saga.advance(tx, order.id, { type: "Cancel" }));
    await deliver(StockReservedSchema, { orderId: order.id });
    expect(await published(order.id)).toEqual([
      {
        type: "OrderCancelled",
        data: { orderId: order.id, userId: "user-7", reason: "cancelled by the customer" },
      },
      { type: "ReleaseStock", data: { orderId: order.id, reason: "cancelled by the customer" } },
    ]);
  });

  it("takes the order id from the subject when the data has none", async () => {
    const order = await place();
    await deliver(StockReservedSchema, { orderId: "" }, order.id);
    expect(await state(order.id)).toMatchObject({ status: "STOCK_RESERVED" });
  });

  it("throws for an event about an unknown order, so it is retried and then dead-lettered", async () => {
    const unknown = newId();
    await expect(deliver(StockReservedSchema, { orderId: unknown })).rejects.toMatchObject({
      code: "not_found",
    });
    expect(await t.outbox(unknown)).toEqual([]);
  });

  it("throws for an event that names no order", async () => {
    await expect(deliver(StockReservedSchema, { orderId: "not-an-id" })).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });
});
