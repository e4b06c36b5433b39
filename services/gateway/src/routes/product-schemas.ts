import { example, exampleIds, pageTokenExample, productExample } from "./examples.ts";
import { cacheableHeaders, notModified } from "./public-cache.ts";
import { pageSchema, pageSizeParam, pageTokenParam, problem, uuidParams } from "./shared-schemas.ts";

/**
 * JSON schemas of the products API. Fastify validates requests with them and serializes
 * responses with them, and @fastify/swagger turns them into the OpenAPI document — one source.
 */

export const moneySchema = {
  $id: "Money",
  type: "object",
  description: "An amount in integer minor units (cents for USD) and its ISO 4217 currency.",
  required: ["currencyCode", "amountMinor"],
  properties: {
    currencyCode: { type: "string", pattern: "^[A-Z]{3}$", examples: ["USD"] },
    amountMinor: { type: "integer", description: "Minor units; never a fraction.", examples: [34900] },
    formatted: { type: "string", description: "For display only, e.g. `$349.00`.", examples: ["$349.00"] },
  },
} as const;

export const productSchema = {
  $id: "Product",
  type: "object",
  required: [
    "id",
    "sku",
    "name",
    "description",
    "price",
    "categories",
    "imageUrl",
    "attributes",
    "createTime",
    "updateTime",
  ],
  properties: {
    id: { type: "string", format: "uuid" },
    sku: { type: "string", examples: ["TENT-2P-ULTRA"] },
    name: { type: "string" },
    description: { type: "string" },
    price: { $ref: "Money#" },
    categories: { type: "array", items: { type: "string" } },
    imageUrl: { type: "string" },
    attributes: { type: "object", additionalProperties: { type: "string" } },
    createTime: { type: "string", format: "date-time" },
    updateTime: { type: "string", format: "date-time" },
  },
} as const;

export const categorySchema = {
  $id: "Category",
  type: "object",
  required: ["name", "productCount"],
  properties: {
    name: { type: "string", description: "Lower-case; pass as `category` to list its products." },
    productCount: { type: "integer", minimum: 1, description: "How many products are in it." },
  },
} as const;

export const productPageSchema = pageSchema("ProductPage", "products", "Product");

/** Shared schemas, added to the app once and referenced by `$ref: "Name#"`. */
export const productSchemas = [moneySchema, productSchema, productPageSchema, categorySchema] as const;

// Unknown query keys are tolerated (caches and analytics add their own); known ones are strict.
const listProductsQuerySchema = {
  type: "object",
  properties: {
    page_size: pageSizeParam("Products per page; 20 when omitted."),
    page_token: pageTokenParam,
    category: {
      type: "string",
      maxLength: 100,
      description: "Only products in this category, matched case-insensitively (not with `q`).",
    },
    q: { type: "string", minLength: 1, maxLength: 200, description: "Search words; best match first." },
  },
} as const;

export const listProductsSchema = {
  summary: "List or search products",
  description:
    "Without `q`, products ordered by name, optionally in one category. With `q`, a full-text search, best match first. Page with `page_token`.",
  tags: ["products"],
  operationId: "listProducts",
  querystring: listProductsQuerySchema,
  "x-examples": {
    200: example("A page with more to come", { products: [productExample], nextPageToken: pageTokenExample }),
  },
  response: {
    200: { description: "A page of products.", $ref: "ProductPage#", headers: cacheableHeaders },
    304: notModified,
    400: problem("A parameter is invalid; `errors` says which."),
    503: problem("The catalog is unavailable; see `Retry-After`."),
    default: problem("Any other error."),
  },
} as const;

export const listCategoriesSchema = {
  summary: "List the product categories",
  description: "The categories that have products, by name, each with its number of products. Not paged.",
  tags: ["products"],
  operationId: "listCategories",
  "x-examples": {
    200: example("Two categories", {
      categories: [
        { name: "hiking", productCount: 12 },
        { name: "tents", productCount: 4 },
      ],
    }),
  },
  response: {
    200: {
      description: "The categories.",
      type: "object",
      required: ["categories"],
      properties: { categories: { type: "array", items: { $ref: "Category#" } } },
      headers: cacheableHeaders,
    },
    304: notModified,
    503: problem("The catalog is unavailable; see `Retry-After`."),
    default: problem("Any other error."),
  },
} as const;

export const getProductSchema = {
  summary: "Get a product",
  description: "One product of the catalog, with its current price.",
  tags: ["products"],
  operationId: "getProduct",
  params: uuidParams("id", "The product's id.", exampleIds.tent),
  "x-examples": { 200: example("A product", productExample) },
  response: {
    200: { description: "The product.", $ref: "Product#", headers: cacheableHeaders },
    304: notModified,
    400: problem("The id is not a UUID."),
    404: problem("No product has this id."),
    503: problem("The catalog is unavailable; see `Retry-After`."),
    default: problem("Any other error."),
  },
} as const;
