import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { refusedTextRule } from "@tessera/kit";
import { bodyLimit, requestEncodings } from "./request-body.ts";
import { finishDocument, headerComponents, responseComponents } from "./openapi-components.ts";
import { securitySchemes } from "./openapi-security.ts";
import { documentRateLimit } from "./rate-limits.ts";
import { documentAccess } from "./route-access.ts";

/** How the API names things, stated once for the whole document; the contract test holds routes to it. */
export const namingConventions =
  'Names: query parameters are snake_case (`page_size`, `page_token`); JSON properties, in requests and responses alike, are camelCase (`productId`, `nextPageToken`, `createTime`); enum values are lower snake_case (`stock_reserved`); headers are as HTTP writes them (`Idempotency-Key`). An operation refuses a query parameter it does not declare with a 400 naming it, and a body property its schema does not name likewise. Ids are UUIDs (UUIDv7, so they sort by creation); money is an integer amount of minor units with its ISO 4217 currency (`{"currencyCode": "USD", "amountMinor": 34900}`), never a fraction; times are RFC 3339 in UTC. Enums in responses are extensible (`x-extensible-enum`): a client must accept a value it does not know.';

/**
 * The OpenAPI 3.1 document, generated from the route schemas, at `GET /api/openapi.json`, and
 * Swagger UI at `/api/docs`. Register before the routes: the document is built as routes are added.
 * `origin` is where clients reach the API; the issuer is served at its `/oidc`.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  { issuer, origin = new URL(issuer).origin }: { issuer: string; origin?: string },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Tessera API",
        version: "1.0.0",
        contact: { name: "Tessera API team", url: `${origin}/api/docs` },
        license: { name: "Apache 2.0", identifier: "Apache-2.0" },
        description: [
          "The public API of the Tessera store. Products are public; the cart, checkout, orders and notifications act for the caller named by the OAuth 2 access token sent as `Authorization: Bearer <token>` (see the security schemes; the issuer is this origin's `/oidc`). Errors are RFC 9457 problem details (`application/problem+json`); every response carries an `X-Request-Id`.",
          namingConventions,
          `Text: in every string of a request — path and query parameters, the headers an operation declares, the JSON body and its property names — ${refusedTextRule} with a 400 whose \`errors\` name where (JSON can still carry a tab or a line break; a zero-width joiner or a right-to-left mark is accepted). Query strings must be valid percent-encoded UTF-8, and JSON bodies valid UTF-8.`,
          "Rate limits: per client address on every operation, and per caller on those that need one; each response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (draft-ietf-httpapi-ratelimit-headers) for the limit closer to running out, and a request over a limit is a 429 with `Retry-After`.",
          `Bodies: JSON, at most ${bodyLimit / 1024} KiB (413 beyond); they may be compressed with \`Content-Encoding\` ${requestEncodings.map((e) => `\`${e}\``).join(", ")}, and the limit holds once decoded; any other encoding is a 415.`,
        ].join("\n\n"),
      },
      servers: [{ url: origin, description: "This gateway." }],
      tags: [
        { name: "products", description: "Browse and search the catalog." },
        { name: "cart", description: "The user's shopping cart." },
        { name: "checkout", description: "Turn the cart into an order." },
        { name: "orders", description: "The user's orders and how their checkout went." },
        { name: "notifications", description: "Messages to the user about their orders." },
      ],
      components: {
        securitySchemes: securitySchemes(issuer),
        responses: responseComponents,
        headers: headerComponents,
      },
    },
    // Who may call an operation follows from its route's declared access, as the hooks do.
    transform: ({ schema, url, route }) => ({
      schema: documentRateLimit(documentAccess(schema, route.config?.access), url),
      url,
    }),
    transformObject: (document) =>
      "openapiObject" in document ? finishDocument(document.openapiObject) : document.swaggerObject,
    // Components keep the names of the shared schemas (`Product`, `Problem`) instead of `def-0`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json["$id"] === "string" ? json["$id"] : `def-${i}`,
    },
  });
  await app.register(swaggerUi, {
    routePrefix: "/api/docs",
    uiConfig: { deepLinking: true, validatorUrl: null },
  });
  app.get("/api/openapi.json", { schema: { hide: true } }, () => app.swagger());
}
