import type { CartItem } from "@tessera/contracts/cart/v1";
import type { OrderLine } from "@tessera/contracts/orders/v1";
import { ServiceError } from "@tessera/kit";
import type { JsonOf } from "./api.ts";
import type { lineSchema } from "./cart-schemas.ts";
import { toMoneyJson } from "./product-json.ts";

/** A line of a cart or an order (their `items`): a product, how many, at what price. */
export type LineJson = JsonOf<typeof lineSchema>;

export function toLineJson(line: CartItem | OrderLine): LineJson {
  if (!line.unitPrice) {
    // The contract always prices a line; one without a price is the service's bug, not the caller's.
    throw new ServiceError("internal", `line of product ${line.productId} has no unit price`);
  }
  const lineTotal = { ...line.unitPrice, amountMinor: line.unitPrice.amountMinor * BigInt(line.quantity) };
  const json: LineJson = {
    productId: line.productId,
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unitPrice: toMoneyJson(line.unitPrice),
    lineTotal: toMoneyJson(lineTotal),
  };
  if (line.$typeName === "tessera.cart.v1.CartItem") {
    json.addedUnitPrice = toMoneyJson(line.addedUnitPrice ?? line.unitPrice);
    json.priceChanged = line.priceChanged;
  }
  return json;
}
