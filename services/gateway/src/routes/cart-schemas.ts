import { limits } from "@tessera/contracts/limits";
import { cartExample, emptyCartExample, example, exampleIds } from "./examples.ts";
import { problem, uuidParams } from "./shared-schemas.ts";

/** JSON schemas of the cart API: validation, serialization and the OpenAPI document from one source. */

export const lineSchema = {
  $id: "LineItem",
  type: "object",
  description:
    "A line of a cart or an order (their `items`): one product, how many, at what price. The same shape in both; the properties marked *cart items only* are absent from an order's.",
  required: ["productId", "sku", "name", "quantity", "unitPrice", "lineTotal"],
  properties: {
    productId: { type: "string", format: "uuid" },
    sku: { type: "string", examples: ["TENT-2P-ULTRA"] },
    name: { type: "string" },
    quantity: { type: "integer", minimum: 1 },
    unitPrice: {
      $ref: "Money#",
      description:
        "In a cart, the catalog's current price: what checkout charges (see the cart's `pricesCurrent`). In an order, the price charged.",
    },
    lineTotal: { $ref: "Money#", description: "`unitPrice` times `quantity`." },
    addedUnitPrice: {
      $ref: "Money#",
      description: "Cart items only: the catalog price when the product was added (or last added again).",
    },
    priceChanged: {
      type: "boolean",
      description:
        "Cart items only: whether `unitPrice` differs from `addedUnitPrice`, to point the change out to the buyer.",
    },
  },
} as const;

export const cartSchema = {
  $id: "Cart",
  type: "object",
  required: ["userId", "items", "itemCount", "subtotal", "pricesCurrent"],
  properties: {
    userId: { type: "string" },
    id: {
      type: "string",
      description:
        "Names the cart's contents until they become an order; a cart becomes at most one order, and the cart gets a new id once an order is placed from it. Absent for an empty cart.",
    },
    items: { type: "array", items: { $ref: "LineItem#" }, description: "The lines, oldest first." },
    itemCount: { type: "integer", minimum: 0, description: "Units in all lines." },
    subtotal: {
      anyOf: [{ $ref: "Money#" }, { type: "null" }],
      description:
        "The sum of the items' `lineTotal`, at their current unit prices. Always present: `null` for an empty cart, which has no currency yet.",
    },
    pricesCurrent: {
      type: "boolean",
      description:
        "Whether the catalog confirmed every unit price just now. When the catalog cannot be reached the cart is still shown, at the prices when added, with `false`; checkout then answers 503 until it can.",
    },
  },
} as const;

// Quantities are bounded here, before any RPC, so that a typo of 1000 tents is a clear 400.
const maxQuantity = limits.lineQuantity.max;

export const addCartItemSchema = {
  $id: "AddCartItem",
  type: "object",
  additionalProperties: false,
  required: ["productId", "quantity"],
  properties: {
    productId: { type: "string", format: "uuid", description: "The product to add (its `id`)." },
    quantity: { type: "integer", minimum: 1, maximum: maxQuantity, description: "Units to add to the line." },
  },
} as const;

export const setCartItemQuantitySchema = {
  $id: "SetCartItemQuantity",
  type: "object",
  additionalProperties: false,
  required: ["quantity"],
  properties: {
    quantity: {
      type: "integer",
      minimum: 0,
      maximum: maxQuantity,
      description: "The line's new quantity; 0 removes it.",
    },
  },
} as const;

export const cartSchemas = [lineSchema, cartSchema, addCartItemSchema, setCartItemQuantitySchema] as const;

const cartItemParamsSchema = uuidParams("productId", "The product whose line this is.", exampleIds.stove);

/** What every cart operation shares: its tag, and a 400 or 503 on the way (route-access.ts adds the 401). */
const cartOperation = (operationId: string, summary: string) =>
  ({ operationId, summary, tags: ["cart"] }) as const;

/** The cart's `ETag`: its version, for `If-Match` on the next write. */
const cartEtagHeader = {
  ETag: {
    type: "string",
    description: "The cart's version (a strong entity tag); send it as `If-Match` on the next write.",
  },
} as const;

const ifMatch = (required: boolean) =>
  ({
    type: "object",
    properties: {
      "if-match": {
        type: "string",
        maxLength: 200,
        description: required
          ? "The cart's `ETag` as last received: required; the write applies only while the cart is unchanged."
          : "Optional: the cart's `ETag` as last received; when sent, the write applies only while the cart is unchanged.",
      },
    },
  }) as const;

/** 412 and 428 of the conditional writes. */
const preconditionResponses = {
  412: problem("`If-Match` names a version the cart no longer has: get the cart again and retry."),
  428: problem("`If-Match` is missing: this write needs the cart's `ETag`."),
} as const;

const cartResponses = (description: string) =>
  ({
    200: { description, $ref: "Cart#", headers: cartEtagHeader },
    400: problem("A parameter or the body is invalid; `errors` says which."),
    503: problem("The cart service is unavailable; see `Retry-After`."),
    default: problem("Any other error."),
  }) as const;

const cartAfterChange = example("The cart after the change", cartExample);

export const getCartSchema = {
  ...cartOperation("getCart", "Get the user's cart"),
  description:
    "The caller's cart with each item at the catalog's current price; see `pricesCurrent` for whether the catalog confirmed them.",
  "x-examples": { 200: example("A cart with two items, one repriced since it was added", cartExample) },
  response: cartResponses("The cart, empty if nothing was added yet."),
} as const;

export const addCartItemRouteSchema = {
  ...cartOperation("addCartItem", "Add a product to the cart"),
  description:
    "Adds `quantity` units of a product at its current catalog price; adding a product already in the cart adds to its line. `If-Match` is optional here (adding loses no one's change); when sent, a stale one is 412.",
  headers: ifMatch(false),
  body: { $ref: "AddCartItem#" },
  "x-examples": {
    request: example("Add one tent", { productId: exampleIds.tent, quantity: 1 }),
    200: cartAfterChange,
  },
  response: {
    ...cartResponses("The cart after the change."),
    412: preconditionResponses[412],
    404: problem("No product has this id."),
    409: problem("The product cannot be added, e.g. the line would exceed its limit."),
  },
} as const;

export const setCartItemQuantityRouteSchema = {
  ...cartOperation("setCartItemQuantity", "Set the quantity of a cart line"),
  description:
    "Sets the line's quantity; 0 removes the line. Needs `If-Match` with the cart's `ETag` (428 without, 412 when stale).",
  headers: ifMatch(true),
  params: cartItemParamsSchema,
  body: { $ref: "SetCartItemQuantity#" },
  "x-examples": { request: example("Two stoves", { quantity: 2 }), 200: cartAfterChange },
  response: {
    ...cartResponses("The cart after the change."),
    ...preconditionResponses,
    404: problem("The cart has no line for this product."),
  },
} as const;

export const removeCartItemSchema = {
  ...cartOperation("removeCartItem", "Remove a line from the cart"),
  description:
    "Removing a line that is not in the cart changes nothing. Needs `If-Match` with the cart's `ETag` (428 without, 412 when stale).",
  headers: ifMatch(true),
  params: cartItemParamsSchema,
  "x-examples": { 200: example("The cart after the change", emptyCartExample) },
  response: { ...cartResponses("The cart after the change."), ...preconditionResponses },
} as const;

export const clearCartSchema = {
  ...cartOperation("clearCart", "Empty the cart"),
  description:
    "Removes every line; the cart keeps its id. Clearing an empty cart changes nothing. Needs `If-Match` with the cart's `ETag` (428 without, 412 when stale).",
  headers: ifMatch(true),
  "x-examples": { 200: example("The empty cart", emptyCartExample) },
  response: { ...cartResponses("The empty cart."), ...preconditionResponses },
} as const;
