/**
 * Example values for the OpenAPI document, shared by the operations that show the same things: a
 * product, a cart, an order. Realistic and valid against their schemas (the contract test checks):
 * UUIDv7 ids, integer minor-unit money with its currency, RFC 3339 UTC times.
 */

export const exampleIds = {
  user: "0197a3c1-2b4e-7d10-8a5f-3c6e9b1d2f40",
  tent: "0197a3c2-5f1e-7b3a-9c4d-2e8f6a1b0c9d",
  stove: "0197a3c2-6a20-7c81-b2e5-7d9f0a3c4e11",
  cart: "0197a3d0-11c2-7e4f-a6b8-0c2d4e6f8a91",
  order: "0197a3d4-7e3b-7f02-9d1c-5a6b7c8d9e0f",
  notification: "0197a3d9-03a7-7b5c-8e2d-4f6a8b0c2d13",
} as const;

const usd = (amountMinor: number) => ({
  currencyCode: "USD",
  amountMinor,
  formatted: `$${(amountMinor / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`,
});

export const productExample = {
  id: exampleIds.tent,
  sku: "TENT-2P-ULTRA",
  name: "Ultralight 2-person tent",
  description: "A freestanding double-wall tent, 1.1 kg packed.",
  price: usd(34900),
  categories: ["tents", "hiking"],
  imageUrl: "/images/tent-2p-ultra.jpg",
  attributes: { weight: "1.1 kg", season: "3" },
  createTime: "2025-06-02T09:15:00.000Z",
  updateTime: "2025-06-20T16:40:12.500Z",
};

const tentItem = {
  productId: exampleIds.tent,
  sku: "TENT-2P-ULTRA",
  name: "Ultralight 2-person tent",
  quantity: 1,
  unitPrice: usd(34900),
  lineTotal: usd(34900),
};

const stoveItem = {
  productId: exampleIds.stove,
  sku: "STOVE-CANISTER",
  name: "Canister stove",
  quantity: 2,
  unitPrice: usd(4500),
  lineTotal: usd(9000),
};

export const cartExample = {
  userId: exampleIds.user,
  id: exampleIds.cart,
  items: [
    { ...tentItem, addedUnitPrice: usd(34900), priceChanged: false },
    { ...stoveItem, addedUnitPrice: usd(3900), priceChanged: true },
  ],
  itemCount: 3,
  subtotal: usd(43900),
  pricesCurrent: true,
};

export const emptyCartExample = {
  userId: exampleIds.user,
  items: [],
  itemCount: 0,
  subtotal: null,
  pricesCurrent: true,
};

export const orderExample = {
  id: exampleIds.order,
  userId: exampleIds.user,
  status: "confirmed",
  items: [tentItem, stoveItem],
  subtotal: usd(43900),
  total: usd(43900),
  reason: "",
  createTime: "2025-06-21T10:02:03.120Z",
  updateTime: "2025-06-21T10:02:04.877Z",
};

export const pendingOrderExample = {
  ...orderExample,
  status: "pending",
  updateTime: orderExample.createTime,
};

export const cancelledOrderExample = {
  ...orderExample,
  status: "cancelled",
  reason: "Cancelled by the customer.",
  updateTime: "2025-06-21T10:05:41.003Z",
};

export const notificationExample = {
  id: exampleIds.notification,
  orderId: exampleIds.order,
  kind: "order_confirmed",
  subject: "Your order is confirmed",
  body: "We have your order for Ultralight 2-person tent and 2 × Canister stove, $439.00 in all.",
  emailed: true,
  createTime: "2025-06-21T10:02:05.031Z",
};

/** An opaque page token as the services hand them out. */
export const pageTokenExample = "eyJvIjoiMDE5N2EzZDQtN2UzYiJ9.c2lnbmF0dXJl";

/** An OpenAPI Example Object. */
export const example = (summary: string, value: unknown) => ({ summary, value });
