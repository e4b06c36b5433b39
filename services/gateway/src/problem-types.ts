/**
 * Every problem type the public API answers with: its `type` is `urn:tessera:problem:<name>`, its
 * HTTP status and title are fixed here, and `when` says when it happens. A domain refusal's type is
 * the `reason` its service gives (`ServiceError` options); a code without a reason gets the code's
 * own type. A reason missing from this table is not public: the client sees its code's type. The
 * table is served in the OpenAPI document (the Problem schema) and listed in the gateway README; a
 * test fails when a type here has no test that triggers it.
 */
export const problemTypes = {
  "invalid-argument": {
    status: 400,
    title: "Invalid request",
    when: "A parameter, header or body field is invalid, or the body is not JSON or not UTF-8; `errors[]` names each violation.",
  },
  unauthenticated: {
    status: 401,
    title: "Unauthenticated",
    when: "The access token is missing, expired or invalid.",
  },
  "permission-denied": {
    status: 403,
    title: "Permission denied",
    when: "The token lacks the role the operation needs.",
  },
  "not-found": { status: 404, title: "Not found", when: "No such route, or no such resource for this user." },
  "method-not-allowed": {
    status: 405,
    title: "Method Not Allowed",
    when: "The path exists but not with this method; `Allow` lists the methods it takes.",
  },
  "request-timeout": { status: 408, title: "Request Timeout", when: "The request was not received in time." },
  "already-exists": { status: 409, title: "Already exists", when: "The resource to create exists already." },
  "failed-precondition": {
    status: 409,
    title: "Failed precondition",
    when: "The resource is not in a state that allows the operation, for a condition without its own type.",
  },
  aborted: { status: 409, title: "Conflict", when: "The operation conflicted with another; retry it." },
  "cart-empty": { status: 409, title: "Cart empty", when: "Placing an order from a cart with no lines." },
  "cart-already-ordered": {
    status: 409,
    title: "Cart already ordered",
    when: "Placing an order from a cart that was already placed as an order.",
  },
  "cart-currency-mismatch": {
    status: 409,
    title: "Cart currency mismatch",
    when: "Adding a product priced in another currency than the cart's lines.",
  },
  "line-limit-exceeded": {
    status: 409,
    title: "Line limit exceeded",
    when: "Adding a product to a cart that already holds the maximum number of lines (50).",
  },
  "line-quantity-exceeded": {
    status: 409,
    title: "Line quantity exceeded",
    when: "Adding units that would take a cart line above the per-line maximum (99).",
  },
  "product-not-priced": {
    status: 409,
    title: "Product not priced",
    when: "Adding or ordering a product that has no price.",
  },
  "order-not-cancellable": {
    status: 409,
    title: "Order not cancellable",
    when: "Cancelling an order that is confirmed (its payment is being captured) or rejected.",
  },
  "idempotency-key-in-use": {
    status: 409,
    title: "Idempotency key in use",
    when: "Another request with the same Idempotency-Key is still being handled; retry when it has finished.",
  },
  "concurrent-change": {
    status: 409,
    title: "Concurrent change",
    when: "The resource changed while the request was updating it; retry.",
  },
  "precondition-failed": {
    status: 412,
    title: "Precondition Failed",
    when: "`If-Match` names a version of the cart that is no longer current; read it again.",
  },
  "payload-too-large": {
    status: 413,
    title: "Payload Too Large",
    when: "The body is larger than the gateway accepts.",
  },
  "uri-too-long": {
    status: 414,
    title: "URI Too Long",
    when: "The URL or one of its path segments is too long.",
  },
  "unsupported-media-type": {
    status: 415,
    title: "Unsupported Media Type",
    when: "The body is not `application/json`.",
  },
  "idempotency-key-reused": {
    status: 422,
    title: "Idempotency key reused",
    when: "The Idempotency-Key was used before with a different request; use a new key.",
  },
  "order-total-out-of-range": {
    status: 422,
    title: "Order total out of range",
    when: "The cart's total is outside what one payment can take.",
  },
  "resource-exhausted": {
    status: 429,
    title: "Too many requests",
    when: "A rate limit is exceeded; `Retry-After` says when to retry.",
  },
  "precondition-required": {
    status: 428,
    title: "Precondition Required",
    when: "A cart write that replaces or removes was sent without `If-Match`.",
  },
  "request-header-fields-too-large": {
    status: 431,
    title: "Request Header Fields Too Large",
    when: "The request line and headers exceed 16 KiB.",
  },
  internal: { status: 500, title: "Internal error", when: "A bug; the request id finds it in the logs." },
  unavailable: {
    status: 503,
    title: "Service unavailable",
    when: "A service the request needs is unavailable; retry after `Retry-After` seconds.",
  },
  "deadline-exceeded": {
    status: 504,
    title: "Deadline exceeded",
    when: "The request did not complete in time; retry after `Retry-After` seconds.",
  },
} as const satisfies Record<string, { status: number; title: string; when: string }>;

export type ProblemTypeName = keyof typeof problemTypes;

export const problemTypePrefix = "urn:tessera:problem:";

export const isProblemTypeName = (name: string): name is ProblemTypeName => Object.hasOwn(problemTypes, name);

/** The table as Markdown, for the OpenAPI document and the README. */
export function problemTypesTable(): string {
  const rows = Object.entries(problemTypes).map(
    ([name, { status, title, when }]) =>
      `| \`${problemTypePrefix}${name}\` | ${status} | ${title} | ${when} |`,
  );
  return ["| type | status | title | when |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
