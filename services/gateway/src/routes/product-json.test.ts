import { describe, expect, it } from "vitest";
import { ServiceError } from "@tessera/kit";
import { productMessage } from "../testing/fake-catalog.ts";
import { formatMoney, toIsoString, toProductJson } from "./product-json.ts";

describe("toProductJson", () => {
  it("maps a product message to camelCase JSON with a numeric amount and ISO times", () => {
    expect(toProductJson(productMessage())).toEqual({
      id: "01970000-0000-7000-8000-000000000001",
      sku: "TENT-2P-ULTRA",
      name: "Ultralight Two-Person Tent",
      description: "A 1.4 kg freestanding tent.",
      price: { currencyCode: "USD", amountMinor: 34900, formatted: "$349.00" },
      categories: ["camping", "tents"],
      imageUrl: "/images/products/tent-2p-ultra.svg",
      attributes: { weight: "1.4 kg" },
      createTime: "2026-01-02T03:04:05.123Z",
      updateTime: "2026-01-02T03:04:05.000Z",
    });
  });

  it("treats a product without price or times as the catalog's internal error", () => {
    expect(() => toProductJson(productMessage({ price: undefined }))).toThrow(ServiceError);
    expect(() => toProductJson(productMessage({ createTime: undefined }))).toThrow(/without price or times/);
  });

  it("refuses amounts a JSON number cannot hold exactly", () => {
    const price = {
      $typeName: "tessera.common.v1.Money" as const,
      currencyCode: "USD",
      amountMinor: 2n ** 53n,
    };
    expect(() => toProductJson(productMessage({ price }))).toThrow(/does not fit a JSON number/);
  });
});

describe("formatMoney", () => {
  it("formats minor units exactly in the currency's own number of digits", () => {
    expect(formatMoney(34900n, "USD")).toBe("$349.00");
    expect(formatMoney(5n, "USD")).toBe("$0.05");
    expect(formatMoney(-1999n, "EUR")).toBe("-€19.99");
    expect(formatMoney(1500n, "JPY")).toBe("¥1,500");
    expect(formatMoney(900719925474099n, "USD")).toBe("$9,007,199,254,740.99");
  });

  it("gives nothing for a currency Intl does not know", () => {
    expect(formatMoney(100n, "US")).toBeUndefined();
  });
});

describe("toIsoString", () => {
  it("keeps milliseconds of a protobuf timestamp", () => {
    expect(toIsoString({ $typeName: "google.protobuf.Timestamp", seconds: 0n, nanos: 999_999_999 })).toBe(
      "1970-01-01T00:00:00.999Z",
    );
  });
});
