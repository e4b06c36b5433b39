import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { CartSchema } from "@tessera/contracts/cart/v1";
import { toCartJson } from "./cart-json.ts";

const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const line = { productId: "p-1", sku: "SKU-1", name: "Thing", quantity: 3, unitPrice: usd(1999n) };

describe("toCartJson", () => {
  it("keeps a zero subtotal of an empty cart when the cart service sends one", () => {
    const cart = create(CartSchema, { userId: "alice", subtotal: usd(0n) });
    expect(toCartJson(cart)).toEqual({
      userId: "alice",
      items: [],
      itemCount: 0,
      subtotal: { currencyCode: "USD", amountMinor: 0, formatted: "$0.00" },
      pricesCurrent: true,
    });
  });

  it("shows the subtotal of an empty cart without one as null, never leaving it out", () => {
    expect(toCartJson(create(CartSchema, { userId: "alice" }))).toHaveProperty("subtotal", null);
  });

  it("treats no cart, or lines without a subtotal, as the cart service's internal error", () => {
    expect(() => toCartJson(undefined)).toThrow(/returned no cart/);
    expect(() => toCartJson(create(CartSchema, { userId: "alice", items: [line] }))).toThrow(/no subtotal/);
  });
});
