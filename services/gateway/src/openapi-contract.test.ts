import { describe, expect, it } from "vitest";
import { validate } from "@readme/openapi-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { appPerTest, type TestApp } from "./testing/test-app.ts";

/**
 * The contract test: every operation the served OpenAPI document lists — so a new route is covered
 * without editing this file — is described, shows examples that its own schemas accept, and refuses
 * a query parameter it does not declare.
 */

const start = appPerTest();

type Json = Record<string, unknown>;
interface Media {
  schema?: Json;
  examples?: Record<string, { value: unknown }>;
}
interface Parameter {
  name: string;
  in: string;
  description?: string;
  required?: boolean;
  example?: unknown;
  schema?: { examples?: unknown[] };
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { $ref?: string; content?: Record<string, Media> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Json>;
    responses: Record<string, { content?: Record<string, Media> }>;
  };
}

async function served(): Promise<{ test: TestApp; document: Document }> {
  const test = await start();
  const response = await test.app.inject({ url: "/api/openapi.json" });
  expect(response.statusCode).toBe(200);
  return { test, document: response.json<Document>() };
}

const operationsOf = (document: Document) =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      path,
      method,
      operation,
      where: `${method.toUpperCase()} ${path}`,
    })),
  );

/** Validates against the document's own schemas: `$ref`s to `#/components/schemas/…` resolve in it. */
function schemaValidator(document: Document) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  ajv.addSchema({ $id: "openapi.json", components: { schemas: document.components.schemas } });
  const rebase = (node: unknown): unknown =>
    Array.isArray(node)
      ? node.map(rebase)
      : typeof node === "object" && node !== null
        ? Object.fromEntries(
            Object.entries(node).map(([key, value]) => [
              key,
              key === "$ref" && typeof value === "string" ? `openapi.json${value}` : rebase(value),
            ]),
          )
        : node;
  return (schema: Json, value: unknown) => {
    const check = ajv.compile(rebase(schema) as Json);
    return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
  };
}

/** Each example of a media type, with what its schema says about it (empty when it is valid). */
function exampleProblems(
  media: Record<string, Media> | undefined,
  check: ReturnType<typeof schemaValidator>,
) {
  return Object.values(media ?? {}).flatMap(({ schema, examples }) =>
    Object.entries(examples ?? {}).map(([name, { value }]) => ({
      name,
      problems: check(schema ?? {}, value),
    })),
  );
}

describe("the OpenAPI contract", () => {
  it("is a valid OpenAPI 3.1 document by a real validator", async () => {
    const { document } = await served();
    const result = await validate(structuredClone(document) as never);
    expect(result, JSON.stringify(result)).toMatchObject({ valid: true, warnings: [] });
  });

  it("describes every operation and parameter", async () => {
    const { document } = await served();
    for (const { where, operation } of operationsOf(document)) {
      expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.summary, where).toEqual(expect.any(String));
      expect(operation.description, where).toEqual(expect.any(String));
      for (const parameter of operation.parameters ?? []) {
        expect(parameter.description, `${where} ${parameter.name}`).toEqual(expect.any(String));
        if (parameter.in === "query") expect(parameter.name, where).toMatch(/^[a-z][a-z0-9_]*$/);
      }
    }
  });

  it("shows examples for every request body and response that its own schemas accept", async () => {
    const { document } = await served();
    const check = schemaValidator(document);
    for (const { where, operation } of operationsOf(document)) {
      if (operation.requestBody) {
        const request = exampleProblems(operation.requestBody.content, check);
        expect(request.length, `${where}: a request example`).toBeGreaterThan(0);
        expect(request, where).toEqual(request.map(({ name }) => ({ name, problems: [] })));
      }
      const success = Object.entries(operation.responses).filter(([status]) => status.startsWith("2"));
      const problems = Object.entries(operation.responses).filter(([status]) => !/^[23]/.test(status));
      expect(success.length, where).toBeGreaterThan(0);
      // A 304 (Not Modified) has no body to show.
      expect(operation.responses["304"]?.content, `${where} 304`).toBeUndefined();
      for (const [status, response] of [...success, ...problems]) {
        const shared = response.$ref?.replace("#/components/responses/", "");
        const content = shared ? document.components.responses[shared]?.content : response.content;
        const examples = exampleProblems(content, check);
        expect(examples.length, `${where} ${status}: an example`).toBeGreaterThan(0);
        expect(examples, `${where} ${status}`).toEqual(examples.map(({ name }) => ({ name, problems: [] })));
      }
    }
  });

  it("refuses an unknown query parameter on every operation, naming it", async () => {
    const { test, document } = await served();
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(10);
    for (const { path, method, operation, where } of operations) {
      const parameters = operation.parameters ?? [];
      const exampleOf = (p: Parameter) =>
        `${(p.example ?? p.schema?.examples?.[0] ?? "") as string | number}`;
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
        exampleOf(parameters.find((p) => p.in === "path" && p.name === name) ?? { name, in: "path" }),
      );
      const headers: Record<string, string> = operation.security ? await test.bearer("alice") : {};
      for (const p of parameters.filter((p) => p.in === "header" && p.required))
        headers[p.name] = exampleOf(p);
      const body = operation.requestBody?.content["application/json"]?.examples?.["request"]?.value;
      const response = await test.app.inject({
        method: method.toUpperCase() as "GET",
        url: `${url}?zz_unknown=1`,
        headers,
        ...(body !== undefined && { payload: body as Json }),
      });
      expect(response.statusCode, where).toBe(400);
      expect(response.json<{ errors?: { parameter: string }[] }>().errors, where).toEqual(
        expect.arrayContaining([expect.objectContaining({ parameter: "zz_unknown" })]),
      );
    }
  });
});
