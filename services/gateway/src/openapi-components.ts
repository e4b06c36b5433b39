import { problemMediaType } from "./problem.ts";
import { exampleIds } from "./routes/examples.ts";
import { bearerChallenge } from "./user.ts";

/**
 * What operations share in the OpenAPI document — the headers every response may carry and the
 * problem responses — declared once under `components` and referenced, and `finishDocument`, which
 * makes the operations reference them and puts each operation's `x-examples` where OpenAPI wants
 * them (the media types of its request body and responses).
 */

type Json = Record<string, unknown>;

const header = (description: string, schema: Json, example: unknown) => ({ description, schema, example });

export const headerComponents = {
  "X-Request-Id": header(
    "The request's id, on every response and in every problem's `requestId`; quote it when reporting a problem. A client may send its own (a UUID).",
    { type: "string", format: "uuid" },
    "5f0c7a8e-3b1d-4e2a-9f6b-8c7d0e1a2b3c",
  ),
  "Retry-After": header(
    "Seconds to wait before retrying (RFC 9110 §10.2.3).",
    { type: "integer", minimum: 0 },
    5,
  ),
  "RateLimit-Limit": header(
    "Requests allowed in the window (a minute), for the limit closest to running out (draft-ietf-httpapi-ratelimit-headers).",
    { type: "integer", minimum: 0 },
    120,
  ),
  "RateLimit-Remaining": header("Requests left in the window.", { type: "integer", minimum: 0 }, 117),
  "RateLimit-Reset": header("Seconds until the window ends.", { type: "integer", minimum: 0 }, 42),
  ETag: header(
    "The representation's entity tag (RFC 9110 §8.8.3): send it back in `If-None-Match` to revalidate, or in `If-Match` to change only what was read.",
    { type: "string" },
    '"3f9a1c27b6e04d55"',
  ),
  Location: header(
    "The absolute URL of the resource the request created.",
    { type: "string", format: "uri" },
    `http://127.0.0.1:8080/api/v1/orders/${exampleIds.order}`,
  ),
  Link: header(
    'Links to related pages (RFC 8288), e.g. the next page as `rel="next"`.',
    { type: "string" },
    `</api/v1/orders?page_token=eyJvIjoiMDE5N2EzZDQtN2UzYiJ9.c2lnbmF0dXJl>; rel="next"`,
  ),
};

const ref = (kind: "headers" | "responses", name: string) => ({ $ref: `#/components/${kind}/${name}` });
const headerRefs = (...names: (keyof typeof headerComponents)[]) =>
  Object.fromEntries(names.map((name) => [name, ref("headers", name)]));
const everyResponse = ["X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"] as const;

const problemExample = (status: number, code: string, title: string, detail: string, extra: Json = {}) => ({
  type: `urn:tessera:problem:${code}`,
  title,
  status,
  detail,
  instance: `/api/v1/orders/${exampleIds.order}`,
  requestId: "5f0c7a8e-3b1d-4e2a-9f6b-8c7d0e1a2b3c",
  ...extra,
});

const problemResponse = (
  description: string,
  example: Json,
  extraHeaders: Record<string, { $ref: string } | ReturnType<typeof header>> = {},
) => ({
  description,
  headers: { ...headerRefs(...everyResponse), ...extraHeaders },
  content: {
    [problemMediaType]: {
      schema: { $ref: "#/components/schemas/Problem" },
      examples: { [String(example["type"]).split(":").pop() ?? "problem"]: { value: example } },
    },
  },
});

/** The problem responses, by the status they document, and the name each has under `components`. */
const problems: Record<string, { name: string; response: ReturnType<typeof problemResponse> }> = {
  "400": {
    name: "BadRequest",
    response: problemResponse(
      "The request is invalid: a parameter, a header or the body; `errors` names each one.",
      problemExample(
        400,
        "invalid-argument",
        "Invalid request",
        "querystring must NOT have additional properties",
        {
          errors: [{ in: "query", parameter: "limit", detail: "is not a parameter of this operation" }],
        },
      ),
    ),
  },
  "401": {
    name: "Unauthenticated",
    response: problemResponse(
      "No access token, or one refused; the challenge in `WWW-Authenticate` says why (RFC 6750).",
      problemExample(401, "unauthenticated", "Unauthenticated", "The access token has expired."),
      {
        "WWW-Authenticate": header(
          "The challenge: `error` and `error_description` when a token was refused.",
          { type: "string" },
          bearerChallenge({ code: "invalid_token", description: "The access token has expired." }),
        ),
      },
    ),
  },
  "403": {
    name: "Forbidden",
    response: problemResponse(
      "The access token is valid but does not allow this operation.",
      problemExample(403, "permission-denied", "Permission denied", "The access token lacks the api scope."),
    ),
  },
  "404": {
    name: "NotFound",
    response: problemResponse(
      "Nothing the caller may see has this id.",
      problemExample(404, "not-found", "Not found", `order ${exampleIds.order} not found`),
    ),
  },
  "409": {
    name: "Conflict",
    response: problemResponse(
      "The request conflicts with the resource's state; `type` names the condition.",
      problemExample(409, "cart-empty", "Failed precondition", "The cart is empty."),
    ),
  },
  "412": {
    name: "PreconditionFailed",
    response: problemResponse(
      "`If-Match` names a representation that is no longer current: read it again.",
      problemExample(
        412,
        "precondition-failed",
        "Precondition failed",
        "The cart changed since it was read.",
      ),
    ),
  },
  "422": {
    name: "UnprocessableContent",
    response: problemResponse(
      "The request is well-formed but cannot be processed as sent; `type` names the condition.",
      problemExample(
        422,
        "idempotency-key-reused",
        "Idempotency key reused",
        "The key was used with a different body.",
      ),
    ),
  },
  "428": {
    name: "PreconditionRequired",
    response: problemResponse(
      "This change needs `If-Match` with the ETag of the representation it changes.",
      problemExample(
        428,
        "precondition-required",
        "Precondition required",
        "Send If-Match with the cart's ETag.",
      ),
    ),
  },
  "429": {
    name: "TooManyRequests",
    response: problemResponse(
      "Too many requests from this address, or from this caller on the operations that need one; wait `Retry-After` seconds.",
      problemExample(
        429,
        "resource-exhausted",
        "Too many requests",
        "Rate limit exceeded, retry in 42 seconds.",
      ),
      headerRefs("Retry-After"),
    ),
  },
  "503": {
    name: "ServiceUnavailable",
    response: problemResponse(
      "A service this operation needs is unavailable; retry after `Retry-After` seconds.",
      problemExample(
        503,
        "unavailable",
        "Service unavailable",
        "A service this request needs is unavailable; retry later.",
      ),
      headerRefs("Retry-After"),
    ),
  },
  "504": {
    name: "GatewayTimeout",
    response: problemResponse(
      "A service did not answer in time; the request may or may not have taken effect. Retry after `Retry-After` seconds.",
      problemExample(
        504,
        "deadline-exceeded",
        "Deadline exceeded",
        "The request took too long to complete; retry later.",
      ),
      headerRefs("Retry-After"),
    ),
  },
  default: {
    name: "Error",
    response: problemResponse(
      "Any other error, as a problem.",
      problemExample(500, "internal", "Internal error", "internal error"),
    ),
  },
};

export const responseComponents = Object.fromEntries(
  Object.values(problems).map(({ name, response }) => [name, response]),
);

const methods = new Set(["get", "put", "post", "delete", "patch"]);

/**
 * The document as served: problem responses become references to `components/responses` (keeping
 * the operation's own description), every response declares the headers every response carries,
 * and an operation's `x-examples` (`{ request?, [status]? }`, each an Example Object) move into the
 * media types they illustrate.
 */
export function finishDocument<Document extends { paths?: object }>(document: Document): Document {
  for (const item of Object.values((document.paths ?? {}) as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(item)) {
      if (methods.has(method)) finishOperation(operation as Json);
    }
  }
  return document;
}

function finishOperation(operation: Json): void {
  const examples = (operation["x-examples"] ?? {}) as Record<string, Json>;
  delete operation["x-examples"];
  const body = operation["requestBody"] as { content?: Record<string, Json> } | undefined;
  if (examples["request"]) {
    for (const media of Object.values(body?.content ?? {}))
      media["examples"] = { request: examples["request"] };
  }
  const responses = operation["responses"] as Record<string, Json>;
  for (const [status, response] of Object.entries(responses)) {
    const content = response["content"] as Record<string, Json> | undefined;
    const shared = problems[status];
    if (shared && content?.[problemMediaType]) {
      responses[status] = { ...ref("responses", shared.name), description: response["description"] };
      continue;
    }
    response["headers"] = { ...headerRefs(...everyResponse), ...(response["headers"] as Json | undefined) };
    const example = examples[status];
    if (example) for (const media of Object.values(content ?? {})) media["examples"] = { [status]: example };
  }
}
