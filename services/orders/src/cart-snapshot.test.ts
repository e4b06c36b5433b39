import { create } from "@bufbuild/protobuf";
import { CartSchema } from "@tessera/contracts/cart/v1";
import { describe, expect, it } from "vitest";
import { snapshotCart } from "./cart-snapshot.ts";

const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const line = { productId: "p1", sku: "TENT", name: "Tent", quantity: 2, unitPrice: usd(1999n) };
const cart = (items: (typeof line | Record<string, unknown>)[]) => create(CartSchema, { userId: "u", items });

describe("snapshotCart", () => {
  it("freezes lines and unit prices and totals them in minor units", () => {
    expect(
      snapshotCart(cart([line, { ...line, productId: "p2", sku: "MUG", quantity: 1, unitPrice: usd(1n) }])),
    ).toEqual({
      currency: "USD",
      totalMinor: 3999n,
      lines: [
        { productId: "p1", sku: "TENT", name: "Tent", quantity: 2, unitPriceMinor: 1999n },
        { productId: "p2", sku: "MUG", name: "Tent", quantity: 1, unitPriceMinor: 1n },
      ],
    });
  });

  it("accepts a total up to 10^15 minor units, exactly", () => {
    const big = { ...line, quantity: 1000, unitPrice: usd(10n ** 12n) };
    expect(snapshotCart(cart([big])).totalMinor).toBe(10n ** 15n);
    const over = { ...line, quantity: 1, unitPrice: usd(1n) };
    expect(() => snapshotCart(cart([big, over]))).toThrow(/too large/);
  });

  it.each([
    ["no cart at all", undefined, /empty/],
    ["an empty cart", cart([]), /empty/],
    [
      "two currencies",
      cart([line, { ...line, unitPrice: { currencyCode: "EUR", amountMinor: 1n } }]),
      /mixes currencies/,
    ],
    ["a line without a price", cart([{ ...line, unitPrice: undefined }]), /no valid price/],
    ["a negative price", cart([{ ...line, unitPrice: usd(-1n) }]), /no valid price/],
    [
      "a malformed currency",
      cart([{ ...line, unitPrice: { currencyCode: "usd", amountMinor: 1n } }]),
      /no valid price/,
    ],
    ["a zero quantity", cart([{ ...line, quantity: 0 }]), /quantity 0/],
    ["a line without a SKU", cart([{ ...line, sku: "" }]), /no product id or SKU/],
    ["an absurd total", cart([{ ...line, quantity: 2_000_000_000, unitPrice: usd(10n ** 9n) }]), /too large/],
    ["too many lines", cart(Array.from({ length: 201 }, () => line)), /more than 200 lines/],
  ])("refuses %s with failed_precondition", (_, input, message) => {
    expect(() => snapshotCart(input)).toThrow(
      expect.objectContaining({ code: "failed_precondition", message: expect.stringMatching(message) }),
    );
  });
});
