import { describe, expect, it } from "vitest";
import { differences, readSnapshot, regenerateCommand } from "./openapi-snapshot.ts";
import { openApiProblems } from "./testing/openapi-check.ts";
import { appPerTest } from "./testing/test-app.ts";

const start = appPerTest();

interface Response {
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
  paths: Record<string, Record<string, Operation>>;
}

async function servedDocument(): Promise<Document> {
  const { app } = await start();
  const response = await app.inject({ url: "/api/openapi.json" });
  expect(response.statusCode).toBe(200);
  return response.json<Document>();
}

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
      for (const status of statuses.filter((s) => !s.startsWith("2"))) {
        expect(operation.responses[status]?.content, `${where} ${status}`).toEqual({
          "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
        });
      }
    }
  });

  it("documents a 401 with its challenge exactly for the operations that need a user", async () => {
    const document = await servedDocument();
    for (const { where, operation } of operationsOf(document)) {
      const unauthenticated = operation.responses["401"];
      if (operation.security === undefined) {
        expect(unauthenticated, where).toBeUndefined();
        continue;
      }
      expect(operation.security, where).toEqual([{ developmentUser: [] }]);
      expect(unauthenticated?.headers, where).toHaveProperty("WWW-Authenticate");
    }
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
