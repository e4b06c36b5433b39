import { describe, expect, it } from "vitest";
import { ServiceError, type ErrorCode } from "@tessera/kit";
import { httpProblem, problemBody, problemHeaders, toProblem } from "./problem.ts";

describe("toProblem", () => {
  it.each<[ErrorCode, number]>([
    ["invalid_argument", 400],
    ["not_found", 404],
    ["already_exists", 409],
    ["failed_precondition", 409],
    ["permission_denied", 403],
    ["unauthenticated", 401],
    ["resource_exhausted", 429],
    ["unavailable", 503],
    ["deadline_exceeded", 504],
    ["internal", 500],
  ])("maps a ServiceError %s to HTTP %i", (code, status) => {
    const problem = toProblem(new ServiceError(code, "message from the service"));
    expect(problem.status).toBe(status);
    expect(problem.type).toBe(`urn:tessera:problem:${code.replaceAll("_", "-")}`);
  });

  it("keeps the message of client errors and replaces that of server errors", () => {
    expect(toProblem(new ServiceError("not_found", "product 1 not found")).detail).toBe(
      "product 1 not found",
    );
    for (const code of ["unavailable", "deadline_exceeded", "internal"] as const) {
      const detail = toProblem(new ServiceError(code, "connect ECONNREFUSED 10.0.0.7:50051")).detail;
      expect(detail).not.toContain("10.0.0.7");
    }
  });

  it("hides anything that is not a ServiceError or a client error behind 'internal error'", () => {
    for (const error of [
      new Error("relation products does not exist"),
      "a string",
      undefined,
      { statusCode: 400 },
    ]) {
      expect(toProblem(error)).toMatchObject({ status: 500, detail: "internal error" });
    }
  });

  it("lists every invalid parameter of a validation error", () => {
    const error = Object.assign(new Error("querystring/page_size must be <= 100"), {
      statusCode: 400,
      validationContext: "querystring",
      validation: [
        {
          instancePath: "/page_size",
          keyword: "maximum",
          schemaPath: "",
          params: { limit: 100 },
          message: "must be <= 100",
        },
        {
          instancePath: "",
          keyword: "required",
          schemaPath: "",
          params: { missingProperty: "q" },
          message: "must have required property 'q'",
        },
      ],
    });
    expect(toProblem(error)).toMatchObject({
      status: 400,
      detail: "page_size must be <= 100; q is required",
      errors: [
        { in: "query", parameter: "page_size", detail: "must be <= 100" },
        { in: "query", parameter: "q", detail: "is required" },
      ],
    });
  });

  it("names an unknown body property itself, under its parent", () => {
    const error = Object.assign(new Error("body must NOT have additional properties"), {
      statusCode: 400,
      validationContext: "body",
      validation: [
        {
          instancePath: "/card",
          keyword: "additionalProperties",
          schemaPath: "",
          params: { additionalProperty: "cvv" },
          message: "must NOT have additional properties",
        },
      ],
    });
    expect(toProblem(error)).toMatchObject({
      detail: "card.cvv is not a known property",
      errors: [{ in: "body", parameter: "card.cvv", detail: "is not a known property" }],
    });
  });

  it("keeps fastify's own 4xx errors with their status", () => {
    const tooLarge = Object.assign(new Error("Request body is too large"), {
      statusCode: 413,
      code: "FST_ERR_CTP_BODY_TOO_LARGE",
    });
    expect(toProblem(tooLarge)).toMatchObject({
      status: 413,
      title: "Payload Too Large",
      detail: "Request body is too large",
    });
    const timeout = Object.assign(new Error("Request timed out"), {
      statusCode: 503,
      code: "FST_ERR_HANDLER_TIMEOUT",
    });
    expect(toProblem(timeout)).toMatchObject({ status: 504, type: "urn:tessera:problem:deadline-exceeded" });
  });
});

describe("problem bodies and headers", () => {
  it("carries the request id, the path as instance, and Retry-After on 503", () => {
    const parts = toProblem(new ServiceError("unavailable", "down"));
    expect(problemBody(parts, "req-1", "/api/v1/products")).toMatchObject({
      requestId: "req-1",
      instance: "/api/v1/products",
    });
    expect(problemHeaders(parts, "req-1")).toMatchObject({ "x-request-id": "req-1", "retry-after": "5" });
    expect(problemHeaders(httpProblem(414, "long"), "req-2")["retry-after"]).toBeUndefined();
  });
});
