import { limits, withinLimit } from "@tessera/contracts/limits";
import { z } from "@tessera/kit";
import products from "../seed/products.json" with { type: "json" };
import { skuPattern } from "./catalog-admin.ts";

/** One demo product as `seed/products.json` holds it; the price is in US cents. */
const SeedProduct = z.strictObject({
  sku: z.string().regex(skuPattern, "must be 2-64 upper-case letters, digits or dashes"),
  name: z.string().trim().min(1).max(200),
  priceMinor: z
    .number()
    .int()
    .refine((price) => withinLimit(price, limits.unitPriceMinor), "is outside the catalog's price limits"),
  categories: z.array(z.string().min(1).max(100)).max(20),
  description: z.string().max(5_000),
  attributes: z
    .record(z.string(), z.string())
    .refine((attributes) => Object.keys(attributes).length <= 50, "holds at most 50 attributes"),
});

export type SeedProduct = z.infer<typeof SeedProduct>;

// Seeding skips a SKU that exists, so a second product under one SKU would silently never appear.
const SeedCatalog = z.array(SeedProduct).superRefine((products, context) => {
  const seen = new Set<string>();
  products.forEach(({ sku }, index) => {
    if (seen.has(sku))
      context.addIssue({ code: "custom", path: [index, "sku"], message: `${sku} is there twice` });
    seen.add(sku);
  });
});

/** The demo products in `raw`; throws naming each product and field a bad edit of the file broke. */
export function parseSeedCatalog(raw: unknown): readonly SeedProduct[] {
  const parsed = SeedCatalog.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`services/catalog/seed/products.json is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return Object.freeze(parsed.data);
}

/** The demo store's products: a small outdoor and home goods shop, from `seed/products.json`. */
export const seedCatalog = parseSeedCatalog(products);
