import { create } from "@bufbuild/protobuf";
import { CartSchema } from "@tessera/contracts/cart/v1";
import { limits } from "@tessera/contracts/limits";
import { describe, expect, it } from "vitest";
import { snapshotCart } from "./cart-snapshot.ts";

const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const cartId = "0195a3c0-0000-7000-8000-000000000001";
const line = { productId: "p1", sku: "TENT", name: "Tent", quantity: 2, unitPrice: usd(1999n) };
const cart = (items: (typeof line | Record<string, unknown>)[], fields: Record<string, unknown> = {}) =>
  create(CartSchema, { userId: "u", items, cartId, pricesCurrent: true, ...fields });

describe("snapshotCart", () => {
  it("freezes the cart's id, lines and current unit prices and totals them in minor units", () => {
    expect(
      snapshotCart(cart([line, { ...line, productId: "p2", sku: "MUG", quantity: 1, unitPrice: usd(1n) }])),
    ).toEqual({
      cartId,
      currency: "USD",
      totalMinor: 3999n,
      lines: [
        { productId: "p1", sku: "TENT", name: "Tent", quantity: 2, unitPriceMinor: 1999n },
        { productId: "p2", sku: "MUG", name: "Tent", quantity: 1, unitPriceMinor: 1n },
      ],
    });
  });

  it("accepts a total up to what one payment can take, exactly, and refuses one unit more", () => {
    const max = limits.paymentAmountMinor.max;
    const big = { ...line, quantity: 1, unitPrice: usd(max - 1n) };
    const one = { ...line, productId: "p2", quantity: 1, unitPrice: usd(1n) };
    expect(snapshotCart(cart([big, one])).totalMinor).toBe(max);
    expect(() => snapshotCart(cart([big, { ...one, quantity: 2 }]))).toThrow(
      expect.objectContaining({ code: "failed_precondition", reason: "order-total-out-of-range" }),
    );
  });

  it("refuses a zero total: payments cannot authorize nothing", () => {
    expect(() => snapshotCart(cart([{ ...line, unitPrice: usd(0n) }]))).toThrow(
      expect.objectContaining({ reason: "order-total-out-of-range", message: expect.stringMatching(/1 to/) }),
    );
  });

  it("refuses, as unavailable, prices the catalog did not just confirm and a cart without an id", () => {
    expect(() => snapshotCart(cart([line], { pricesCurrent: false }))).toThrow(
      expect.objectContaining({ code: "unavailable", message: expect.stringMatching(/current prices/) }),
    );
    expect(() => snapshotCart(cart([line], { cartId: "" }))).toThrow(
      expect.objectContaining({ code: "unavailable" }),
    );
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
    ["a quantity over the limit", cart([{ ...line, quantity: 100 }]), /quantity 100/],
    ["a line without a SKU", cart([{ ...line, sku: "" }]), /no product id or SKU/],
    [
      "an absurd total",
      cart([{ ...line, quantity: 99, unitPrice: usd(10n ** 12n) }]),
      /outside what one payment/,
    ],
    ["too many lines", cart(Array.from({ length: 51 }, () => line)), /more than 50 lines/],
  ])("refuses %s with failed_precondition", (_, input, message) => {
    expect(() => snapshotCart(input)).toThrow(
      expect.objectContaining({ code: "failed_precondition", message: expect.stringMatching(message) }),
    );
  });

  it.each([
    ["a line without a price", cart([{ ...line, unitPrice: undefined }]), { reason: "product-not-priced" }],
    ["a quantity over the limit", cart([{ ...line, quantity: 100 }]), { reason: "line-quantity-exceeded" }],
    ["too many lines", cart(Array.from({ length: 51 }, () => line)), { reason: "line-limit-exceeded" }],
    [
      "two currencies",
      cart([line, { ...line, unitPrice: { currencyCode: "EUR", amountMinor: 1n } }]),
      { reason: "cart-currency-mismatch" },
    ],
  ])("names the condition of %s as its reason", (_, input, expected) => {
    expect(() => snapshotCart(input)).toThrow(expect.objectContaining(expected));
  });

  it("gives a zero quantity, which no client sends, no reason", () => {
    expect(() => snapshotCart(cart([{ ...line, quantity: 0 }]))).toThrow(
      expect.objectContaining({ reason: undefined }),
    );
  });
});
