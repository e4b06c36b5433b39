import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { refusedTextRule } from "@tessera/kit";
import { bodyLimit, requestEncodings } from "./request-body.ts";
import { securitySchemes } from "./openapi-security.ts";
import { documentRateLimit } from "./rate-limits.ts";
import { documentAccess } from "./route-access.ts";

/**
 * The OpenAPI 3.1 document, generated from the route schemas, at `GET /api/openapi.json`, and
 * Swagger UI at `/api/docs`. Register before the routes: the document is built as routes are added.
 */
export async function registerOpenApi(app: FastifyInstance, { issuer }: { issuer: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Tessera API",
        version: "1.0.0",
        description: [
          "The public API of the Tessera store. Products are public; the cart, checkout, orders and notifications act for the caller named by the OAuth 2 access token sent as `Authorization: Bearer <token>` (see the security schemes; the issuer is this origin's `/oidc`). Errors are RFC 9457 problem details (`application/problem+json`); every response carries an `X-Request-Id`.",
          `Text: in every string of a request — path and query parameters, the headers an operation declares, the JSON body and its property names — ${refusedTextRule} with a 400 whose \`errors\` name where (JSON can still carry a tab or a line break; a zero-width joiner or a right-to-left mark is accepted). Query strings must be valid percent-encoded UTF-8, and JSON bodies valid UTF-8.`,
          "Rate limits: per client address on every operation, and per caller on those that need one; each response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (draft-ietf-httpapi-ratelimit-headers) for the limit closer to running out, and a request over a limit is a 429 with `Retry-After`.",
          `Bodies: JSON, at most ${bodyLimit / 1024} KiB (413 beyond); they may be compressed with \`Content-Encoding\` ${requestEncodings.map((e) => `\`${e}\``).join(", ")}, and the limit holds once decoded; any other encoding is a 415.`,
        ].join("\n\n"),
      },
      tags: [
        { name: "products", description: "Browse and search the catalog." },
        { name: "cart", description: "The user's shopping cart." },
        { name: "checkout", description: "Turn the cart into an order." },
        { name: "orders", description: "The user's orders and how their checkout went." },
        { name: "notifications", description: "Messages to the user about their orders." },
      ],
      components: { securitySchemes: securitySchemes(issuer) },
    },
    // Who may call an operation follows from its route's declared access, as the hooks do.
    transform: ({ schema, url, route }) => ({
      schema: documentRateLimit(documentAccess(schema, route.config?.access), url),
      url,
    }),
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
