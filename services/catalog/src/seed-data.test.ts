import { describe, expect, it } from "vitest";
import { parseSeedCatalog, seedCatalog } from "./seed-data.ts";

const tent = {
  sku: "TENT-2P",
  name: "Two-Person Tent",
  priceMinor: 34900,
  categories: ["camping"],
  description: "A tent.",
  attributes: { weight: "1.4 kg" },
};

describe("the demo products in seed/products.json", () => {
  it("holds the 53 demo products, each SKU once", () => {
    expect(seedCatalog).toHaveLength(53);
    expect(new Set(seedCatalog.map((product) => product.sku)).size).toBe(53);
    expect(seedCatalog[0]).toMatchObject({ sku: "TENT-2P-ULTRA", priceMinor: 34900 });
  });

  it("takes a well-formed product as it is", () => {
    expect(parseSeedCatalog([tent])).toEqual([tent]);
  });

  it.each([
    ["a lower-case SKU", { ...tent, sku: "tent" }, /\[0\]\.sku/],
    ["a price in dollars", { ...tent, priceMinor: 349.5 }, /\[0\]\.priceMinor/],
    ["a free product", { ...tent, priceMinor: 0 }, /price limits/],
    ["a price as a string", { ...tent, priceMinor: "34900" }, /\[0\]\.priceMinor/],
    ["an empty name", { ...tent, name: "  " }, /\[0\]\.name/],
    ["a misspelled field", { ...tent, categores: ["camping"] }, /categores/],
    ["a number as an attribute", { ...tent, attributes: { weight: 1.4 } }, /attributes\.weight/],
  ])("refuses %s, naming the product and field", (_, product, message) => {
    expect(() => parseSeedCatalog([product])).toThrow(message);
    expect(() => parseSeedCatalog([product])).toThrow(/seed\/products\.json is invalid/);
  });

  it("refuses a SKU that appears twice, which seeding would skip", () => {
    expect(() => parseSeedCatalog([tent, { ...tent, name: "Another" }])).toThrow(
      /TENT-2P is there twice[\s\S]*\[1\]\.sku/,
    );
  });
});
