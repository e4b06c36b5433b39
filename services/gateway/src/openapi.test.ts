import { describe, expect, it } from "vitest";
import { loadConfig } from "@tessera/kit";
import { GatewayConfig } from "./config.ts";
import { differences, readSnapshot, regenerateCommand } from "./openapi-snapshot.ts";
import { openApiProblems } from "./testing/openapi-check.ts";
import { appPerTest } from "./testing/test-app.ts";

const start = appPerTest();

interface Response {
  $ref?: string;
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema: unknown }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown;
  responses: Record<string, Response>;
}
interface Document {
  tags: { name: string }[];
  components: { responses: Record<string, Response> };
  paths: Record<string, Record<string, Operation>>;
}

// The snapshot is the document of the default configuration; the test apps' issuer is the test issuer.
const defaultIssuer = loadConfig(GatewayConfig, {}).AUTH_ISSUER;

async function servedDocument(): Promise<Document> {
  const { app } = await start({ env: { AUTH_ISSUER: defaultIssuer } });
  const response = await app.inject({ url: "/api/openapi.json" });
  expect(response.statusCode).toBe(200);
  return response.json<Document>();
}

/** A response as declared: the shared one under `components/responses` when it is a reference. */
const declared = (document: Document, response: Response | undefined) =>
  response?.$ref
    ? document.components.responses[response.$ref.replace("#/components/responses/", "")]
    : response;

function operationsOf(document: Document) {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      where: `${method.toUpperCase()} ${path}`,
      operation,
    })),
  );
}

describe("the OpenAPI document and docs", () => {
  it("publishes a valid OpenAPI 3.1 document generated from the routes", async () => {
    expect(openApiProblems(await servedDocument())).toEqual([]);
  });

  it("matches the committed snapshot, so every change to the public API is reviewed", async () => {
    const [live, snapshot] = [await servedDocument(), await readSnapshot()];
    const hint = [
      "The OpenAPI document differs from services/gateway/openapi.snapshot.json",
      `at ${differences(snapshot, live).join(", ")} (diff below: - snapshot, + live).`,
      `If the change is intended, run \`${regenerateCommand}\` and commit the snapshot.`,
    ];
    expect(live, hint.join(" ")).toEqual(snapshot);
  });

  it("names, tags and describes the answers of every operation, errors as problem details", async () => {
    const document = await servedDocument();
    const tags = document.tags.map((tag) => tag.name);
    for (const { where, operation } of operationsOf(document)) {
      expect(operation.operationId, where).toEqual(expect.any(String));
      expect(operation.summary, where).toEqual(expect.any(String));
      expect(operation.tags?.length, where).toBeGreaterThan(0);
      for (const tag of operation.tags ?? []) expect(tags, where).toContain(tag);
      const statuses = Object.keys(operation.responses);
      expect(
        statuses.filter((status) => /^2\d\d$/.test(status)),
        where,
      ).toHaveLength(1);
      expect(statuses, where).toEqual(expect.arrayContaining(["503", "default"]));
      // A 304 (Not Modified) is neither a success with a body nor an error: it has no content.
      for (const status of statuses.filter((s) => !/^[23]/.test(s))) {
        expect(operation.responses[status]?.$ref, `${where} ${status}`).toMatch(
          /^#\/components\/responses\//,
        );
        expect(declared(document, operation.responses[status])?.content, `${where} ${status}`).toEqual({
          "application/problem+json": {
            schema: { $ref: "#/components/schemas/Problem" },
            examples: expect.any(Object),
          },
        });
      }
    }
  });

  it("documents a 401 with its challenge exactly for the operations that need a caller", async () => {
    const document = await servedDocument();
    for (const { where, operation } of operationsOf(document)) {
      const unauthenticated = declared(document, operation.responses["401"]);
      if (operation.security === undefined) {
        expect(unauthenticated, where).toBeUndefined();
        continue;
      }
      expect(operation.security, where).toEqual([{ oauth2: ["api"] }, { openIdConnect: ["api"] }]);
      expect(unauthenticated?.headers, where).toHaveProperty("WWW-Authenticate");
    }
  });

  it("documents a 429 with Retry-After and the RateLimit headers on every operation", async () => {
    const document = await servedDocument();
    for (const { where, operation } of operationsOf(document)) {
      expect(
        Object.keys(declared(document, operation.responses["429"])?.headers ?? {}).sort(),
        where,
      ).toEqual(["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "X-Request-Id"]);
    }
  });

  it("names the issuer's OAuth 2 flows and discovery document, and leaves identity's paths out", async () => {
    const { app } = await start({ env: { AUTH_ISSUER: "https://shop.example/oidc" } });
    const document = (await app.inject({ url: "/api/openapi.json" })).json<
      Document & Record<string, never>
    >();
    expect(document.components).toMatchObject({
      securitySchemes: {
        oauth2: {
          type: "oauth2",
          flows: {
            authorizationCode: {
              authorizationUrl: "https://shop.example/oidc/auth",
              tokenUrl: "https://shop.example/oidc/token",
            },
            clientCredentials: { tokenUrl: "https://shop.example/oidc/token" },
          },
        },
        openIdConnect: {
          type: "openIdConnect",
          openIdConnectUrl: "https://shop.example/oidc/.well-known/openid-configuration",
        },
      },
    });
    expect(Object.keys(document.paths).filter((path) => !path.startsWith("/api/v1/"))).toEqual([]);
  });

  it("serves the API docs as HTML whose assets the CSP allows", async () => {
    const { app } = await start();
    const page = await app.inject({ url: "/api/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("swagger-ui-bundle.js");
    expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)/);
    const script = await app.inject({ url: "/api/docs/static/swagger-initializer.js" });
    expect(script.statusCode).toBe(200);
  });
});
