import { describe, expect, it } from "vitest";
import {
  addLine,
  maxLines,
  removeLine,
  requireProductId,
  requireQuantity,
  requireUserId,
  setLineQuantity,
  takeOrdered,
  type CartLine,
  type ProductSnapshot,
} from "./cart-rules.ts";

const at = new Date("2025-01-02T03:04:05.000Z");
const product = (n: number, currency = "USD", unitPriceMinor = 1_000n): ProductSnapshot => ({
  productId: `00000000-0000-7000-8000-${n.toString().padStart(12, "0")}`,
  sku: `SKU-${n}`,
  name: `Product ${n}`,
  unitPriceMinor,
  currency,
});
const line = (n: number, quantity = 1, currency = "USD"): CartLine => ({
  ...product(n, currency),
  quantity,
  addedAt: at,
});

describe("input rules", () => {
  it("requires a user id of 1 to 128 characters", () => {
    expect(requireUserId("u-1")).toBe("u-1");
    expect(requireUserId("x".repeat(128))).toHaveLength(128);
    expect(() => requireUserId("")).toThrow(expect.objectContaining({ code: "invalid_argument" }));
    expect(() => requireUserId("x".repeat(129))).toThrow(/too long/);
  });

  it("accepts product ids that are UUIDs, in lower case", () => {
    expect(requireProductId("0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B")).toBe(
      "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    );
    for (const bad of ["", "42", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5", "' OR 1=1 --"]) {
      expect(() => requireProductId(bad)).toThrow(expect.objectContaining({ code: "invalid_argument" }));
    }
  });

  it("takes quantities from 1 to 99, and 0 only where it removes", () => {
    expect(requireQuantity(1)).toBe(1);
    expect(requireQuantity(99)).toBe(99);
    expect(requireQuantity(0, { zeroRemoves: true })).toBe(0);
    for (const bad of [0, -1, 100, 1.5, Number.NaN]) {
      expect(() => requireQuantity(bad)).toThrow(/between 1 and 99/);
    }
    expect(() => requireQuantity(100, { zeroRemoves: true })).toThrow(/between 0 and 99/);
  });
});

describe("addLine", () => {
  it("appends a new product with its snapshot and the time it was added", () => {
    expect(addLine([line(1)], product(2), 3, at)).toEqual([
      line(1),
      { ...product(2), quantity: 3, addedAt: at },
    ]);
  });

  it("adds to the line of a product already in the cart and refreshes its snapshot", () => {
    const later = new Date(at.getTime() + 1_000);
    const repriced = { ...product(1), name: "Renamed", unitPriceMinor: 1_500n };
    expect(addLine([line(1, 2)], repriced, 3, later)).toEqual([{ ...repriced, quantity: 5, addedAt: at }]);
  });

  it("refuses more than 99 units of one product", () => {
    expect(addLine([line(1, 98)], product(1), 1, at)[0]?.quantity).toBe(99);
    expect(() => addLine([line(1, 98)], product(1), 2, at)).toThrow(
      expect.objectContaining({ code: "failed_precondition" }),
    );
  });

  it("refuses a product beyond the 50th but still adds to an existing line of a full cart", () => {
    const full = Array.from({ length: maxLines }, (_, i) => line(i));
    expect(() => addLine(full, product(maxLines), 1, at)).toThrow(/at most 50 different products/);
    expect(addLine(full, product(0), 1, at)[0]?.quantity).toBe(2);
  });

  it("refuses a product priced in another currency than the cart", () => {
    expect(() => addLine([line(1)], product(2, "EUR"), 1, at)).toThrow(
      expect.objectContaining({ code: "failed_precondition", message: expect.stringMatching(/USD.*EUR/) }),
    );
    expect(addLine([], product(2, "EUR"), 1, at)[0]?.currency).toBe("EUR");
  });
});

describe("setLineQuantity and removeLine", () => {
  it("sets the quantity of a line and keeps its snapshot", () => {
    expect(setLineQuantity([line(1), line(2)], line(2).productId, 7)).toEqual([line(1), line(2, 7)]);
  });

  it("removes the line when the quantity is 0, even twice", () => {
    const once = setLineQuantity([line(1), line(2)], line(1).productId, 0);
    expect(once).toEqual([line(2)]);
    expect(setLineQuantity(once, line(1).productId, 0)).toEqual([line(2)]);
  });

  it("cannot set the quantity of a product that is not in the cart", () => {
    expect(() => setLineQuantity([line(1)], line(2).productId, 1)).toThrow(
      expect.objectContaining({ code: "not_found" }),
    );
  });

  it("removes a line, and removing a product not in the cart changes nothing", () => {
    expect(removeLine([line(1), line(2)], line(1).productId)).toEqual([line(2)]);
    expect(removeLine([line(2)], line(1).productId)).toEqual([line(2)]);
  });
});

describe("takeOrdered", () => {
  const cartId = "0195a3c0-0000-7000-8000-00000000000a";

  it("takes the ordered quantities out of the ordered cart and gives what is left a new id", () => {
    const cart = { id: cartId, lines: [line(1, 3), line(2, 1), line(3, 2)] };
    const left = takeOrdered(cart, cartId, [
      { productId: line(1).productId, quantity: 2 },
      { productId: line(2).productId.toUpperCase(), quantity: 1 },
    ]);
    expect(left).toEqual({ id: "", lines: [line(1, 1), line(3, 2)] });
  });

  it("takes everything when nothing was added since, and never goes below zero", () => {
    const cart = { id: cartId, lines: [line(1, 1)] };
    expect(takeOrdered(cart, cartId, [{ productId: line(1).productId, quantity: 5 }])).toEqual({
      id: "",
      lines: [],
    });
  });

  it("leaves another cart as it is", () => {
    const cart = { id: "0195a3c0-0000-7000-8000-00000000000b", lines: [line(1, 1)] };
    expect(takeOrdered(cart, cartId, [{ productId: line(1).productId, quantity: 1 }])).toBe(cart);
  });
});
