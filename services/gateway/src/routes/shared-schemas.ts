import { bearerChallenge } from "../user.ts";
import { pageTokenExample } from "./examples.ts";

/** A problem response of an operation, for the OpenAPI document. */
export const problem = (description: string) =>
  ({
    description,
    content: { "application/problem+json": { schema: { $ref: "Problem#" } } },
  }) as const;

/** The 401 of every route that needs a caller, with its challenge (added by route-access.ts). */
export const unauthenticated = {
  ...problem(
    "No access token, or one refused: malformed, expired or not yet valid, not signed by the issuer, or for another issuer or audience. The challenge says which (RFC 6750); get a new token and retry.",
  ),
  headers: {
    "WWW-Authenticate": {
      type: "string",
      description: "The challenge: `error` and `error_description` when a token was refused.",
      examples: [
        bearerChallenge(),
        bearerChallenge({ code: "invalid_token", description: "The access token has expired." }),
      ],
    },
  },
};

/** The 403 of the routes that need a caller, or an admin (added by route-access.ts). */
export const forbidden = {
  user: problem("The access token is valid but was not granted the `api` scope."),
  admin: problem("The access token is valid but lacks the `admin` role or the `api` scope."),
};

/** The `RateLimit-*` headers (draft-ietf-httpapi-ratelimit-headers) of the limit closest to running out. */
export const rateLimitHeaders = {
  "RateLimit-Limit": { type: "integer", description: "Requests allowed in the window (a minute)." },
  "RateLimit-Remaining": { type: "integer", description: "Requests left in the window." },
  "RateLimit-Reset": { type: "integer", description: "Seconds until the window ends." },
};

/** The 429 of every API operation (added by rate-limits.ts). */
export const tooManyRequests = {
  ...problem(
    "Too many requests from this address, or from this caller on the operations that need one; see `Retry-After`.",
  ),
  headers: {
    "Retry-After": { type: "integer", description: "Seconds to wait before retrying." },
    ...rateLimitHeaders,
  },
};

/**
 * The `page_size` query parameter; `description` says what a page holds, and how many by default.
 * A size above 100 is served as 100 (AIP-158), not refused; the bound is the contract's int32.
 */
export const pageSizeParam = <const D extends string>(description: D) =>
  ({
    type: "integer",
    minimum: 1,
    maximum: 2147483647,
    description: `${description} Values above 100 are reduced to 100.`,
  }) as const;

/** The `page_token` query parameter. */
export const pageTokenParam = {
  type: "string",
  maxLength: 2048,
  description:
    "`nextPageToken` of the previous page; omit for the first page. Opaque: pass it back unchanged.",
  examples: [pageTokenExample],
} as const;

/** `page_size` and `page_token`, the paging of every list. */
export const pageQuerySchema = {
  type: "object",
  properties: {
    page_size: pageSizeParam("Items per page; the service's default when omitted."),
    page_token: pageTokenParam,
  },
} as const;

const nextPageToken = {
  type: "string",
  description: "Pass as `page_token` for the next page; empty on the last page.",
} as const;

/** A page of a list: `{ [items]: Item[], nextPageToken }`, e.g. `pageSchema("OrderPage", "orders", "Order")`. */
export function pageSchema<const Id extends string, const Items extends string, const Item extends string>(
  $id: Id,
  items: Items,
  item: Item,
) {
  const list = { type: "array", items: { $ref: `${item}#` } } as const;
  return {
    $id,
    type: "object",
    required: [items, "nextPageToken"],
    properties: { [items]: list, nextPageToken },
  } as const as {
    readonly $id: Id;
    readonly type: "object";
    readonly required: readonly [Items, "nextPageToken"];
    readonly properties: { readonly [K in Items]: typeof list } & {
      readonly nextPageToken: typeof nextPageToken;
    };
  };
}

/** A UUID path parameter, e.g. `uuidParams("id", "The order's id.", exampleIds.order)` for `/orders/:id`. */
export function uuidParams<const Name extends string>(name: Name, description: string, example: string) {
  const uuid = { type: "string", format: "uuid", description, examples: [example] } as const;
  return { type: "object", required: [name], properties: { [name]: uuid } } as const as {
    readonly type: "object";
    readonly required: readonly [Name];
    readonly properties: { readonly [K in Name]: typeof uuid };
  };
}
