import type { Product } from "@tessera/contracts/catalog/v1";
import { ServiceError } from "@tessera/kit";
import type { JsonOf } from "./api.ts";
import type { moneySchema, productSchema } from "./product-schemas.ts";

/** A product as the public API shows it: camelCase, money as integer minor units, ISO times. */
export type ProductJson = JsonOf<typeof productSchema>;

export type MoneyJson = JsonOf<typeof moneySchema>;

type Timestamp = NonNullable<Product["createTime"]>;
type Money = NonNullable<Product["price"]>;

export function toProductJson(product: Product): ProductJson {
  if (!product.price || !product.createTime || !product.updateTime) {
    // The contract always sets these; a product without them is the catalog's bug, not the caller's.
    throw new ServiceError("internal", `catalog returned product ${product.id} without price or times`);
  }
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    price: toMoneyJson(product.price),
    categories: product.categories,
    imageUrl: product.imageUrl,
    attributes: product.attributes,
    createTime: toIsoString(product.createTime),
    updateTime: toIsoString(product.updateTime),
  };
}

export function toMoneyJson(money: Money): MoneyJson {
  // int64 arrives as bigint; JSON numbers are exact only up to 2^53 minor units (90 trillion dollars).
  if (
    money.amountMinor > BigInt(Number.MAX_SAFE_INTEGER) ||
    money.amountMinor < BigInt(Number.MIN_SAFE_INTEGER)
  ) {
    throw new ServiceError("internal", `amount ${money.amountMinor} does not fit a JSON number`);
  }
  const json: MoneyJson = { currencyCode: money.currencyCode, amountMinor: Number(money.amountMinor) };
  const formatted = formatMoney(money.amountMinor, money.currencyCode);
  if (formatted !== undefined) json.formatted = formatted;
  return json;
}

/** One formatter per currency and its fraction digits, built once: building one costs more than formatting. */
const formatters = new Map<string, { format: Intl.NumberFormat; digits: number } | undefined>();

/**
 * `34900n, "USD"` → `"$349.00"`, exactly: the amount goes to Intl as a decimal string, never
 * through a float. Undefined for a currency Intl does not know.
 */
export function formatMoney(amountMinor: bigint, currencyCode: string): string | undefined {
  if (!formatters.has(currencyCode)) {
    let formatter: { format: Intl.NumberFormat; digits: number } | undefined;
    try {
      const format = new Intl.NumberFormat("en-US", { style: "currency", currency: currencyCode });
      formatter = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    } catch {
      formatter = undefined;
    }
    formatters.set(currencyCode, formatter);
  }
  const formatter = formatters.get(currencyCode);
  if (!formatter) return undefined;
  return formatter.format.format(decimalString(amountMinor, formatter.digits) as `${number}`);
}

function decimalString(minor: bigint, digits: number): string {
  const sign = minor < 0n ? "-" : "";
  const padded = (minor < 0n ? -minor : minor).toString().padStart(digits + 1, "0");
  const whole = padded.slice(0, padded.length - digits);
  return digits === 0 ? sign + whole : `${sign}${whole}.${padded.slice(padded.length - digits)}`;
}

export function toIsoString(timestamp: Timestamp): string {
  const millis = Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1_000_000);
  return new Date(millis).toISOString();
}
