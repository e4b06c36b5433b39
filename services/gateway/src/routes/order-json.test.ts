import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { OrderSchema, OrderStatus } from "@tessera/contracts/orders/v1";
import { ServiceError } from "@tessera/kit";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { orderStatuses, toOrderJson } from "./order-json.ts";

const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const line = { productId: "p-1", sku: "SKU-1", name: "Thing", quantity: 3, unitPrice: usd(1999n) };

function order(overrides: Record<string, unknown> = {}) {
  return create(OrderSchema, {
    id: "o-1",
    userId: "alice",
    status: OrderStatus.PENDING,
    lines: [line],
    total: usd(5997n),
    createTime: timestampFromMs(1000),
    updateTime: timestampFromMs(2500),
    ...overrides,
  });
}

describe("toOrderJson", () => {
  it("names every status in lower case, in saga order", () => {
    expect(orderStatuses).toEqual([
      "pending",
      "stock_reserved",
      "payment_authorized",
      "confirmed",
      "rejected",
      "cancelled",
    ]);
    expect(toOrderJson(order({ status: OrderStatus.CANCELLED })).status).toBe("cancelled");
  });

  it("sums the items' line totals as the subtotal, in the order's currency", () => {
    const two = order({ lines: [line, { ...line, productId: "p-2", quantity: 1, unitPrice: usd(500n) }] });
    expect(toOrderJson(two).subtotal).toEqual({
      currencyCode: "USD",
      amountMinor: 6497,
      formatted: "$64.97",
    });
  });

  it("prices each item and keeps the order's total as sent", () => {
    expect(toOrderJson(order())).toMatchObject({
      items: [{ quantity: 3, lineTotal: { amountMinor: 5997, formatted: "$59.97" } }],

      total: { currencyCode: "USD", amountMinor: 5997 },
      createTime: "1970-01-01T00:00:01.000Z",
      updateTime: "1970-01-01T00:00:02.500Z",
    });
  });

  it.each([
    ["no order", undefined],
    ["an unspecified status", order({ status: OrderStatus.UNSPECIFIED })],
    ["a status this gateway does not know", order({ status: 42 })],
    ["no total", order({ total: undefined })],
    ["no times", order({ createTime: undefined })],
    ["a line without a price", order({ lines: [{ ...line, unitPrice: undefined }] })],
  ])("treats %s as the orders service's internal error", (_name, value) => {
    let error: unknown;
    try {
      toOrderJson(value);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe("internal");
  });
});
