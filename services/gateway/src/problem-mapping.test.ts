import { describe, expect, it } from "vitest";
import { ServiceError, type ErrorCode } from "@tessera/kit";
import { problemTypes, type ProblemTypeName } from "./problem-types.ts";
import { appPerTest } from "./testing/test-app.ts";
import { alice } from "./testing/users.ts";

const start = appPerTest();
const productId = "01970000-0000-7000-8000-000000000001";

/** The gRPC code each domain reason is raised with by its service. */
const reasonCodes: Partial<Record<ProblemTypeName, ErrorCode>> = {
  "cart-empty": "failed_precondition",
  "cart-already-ordered": "failed_precondition",
  "cart-currency-mismatch": "failed_precondition",
  "line-limit-exceeded": "failed_precondition",
  "line-quantity-exceeded": "failed_precondition",
  "product-not-priced": "failed_precondition",
  "order-not-cancellable": "failed_precondition",
  "idempotency-key-in-use": "aborted",
  "concurrent-change": "aborted",
  "idempotency-key-reused": "invalid_argument",
  "order-total-out-of-range": "failed_precondition",
};

async function addItem(test: Awaited<ReturnType<typeof start>>, body: unknown) {
  return test.app.inject({
    method: "POST",
    url: "/api/v1/cart/items",
    headers: { ...(await test.bearer(alice)), "content-type": "application/json" },
    payload: JSON.stringify(body),
  });
}

describe("problems a program can act on", () => {
  it.each(Object.entries(reasonCodes))(
    "answers a service refusal with reason %s with its own type, status and title",
    async (reason, code) => {
      const test = await start();
      test.cart.failWith(new ServiceError(code, "refused by the cart", { reason }));
      const response = await addItem(test, { productId, quantity: 1 });
      const type = problemTypes[reason as ProblemTypeName];
      expect(response.statusCode).toBe(type.status);
      expect(response.json()).toMatchObject({
        type: `urn:tessera:problem:${reason}`,
        title: type.title,
        status: type.status,
        detail: "refused by the cart",
      });
    },
  );

  it("does not let a reason pass a refusal off as another code's or an HTTP-level type", async () => {
    const test = await start();
    for (const reason of ["not-found", "payload-too-large", "internal"]) {
      test.cart.failWith(new ServiceError("failed_precondition", "odd", { reason }));
      const response = await addItem(test, { productId, quantity: 1 });
      expect(response.json()).toMatchObject({ status: 409, type: "urn:tessera:problem:failed-precondition" });
    }
  });

  it("answers a reason that is not a public type with its code's type", async () => {
    const test = await start();
    test.cart.failWith(new ServiceError("failed_precondition", "odd", { reason: "not-in-the-table" }));
    const response = await addItem(test, { productId, quantity: 1 });
    expect(response.json()).toMatchObject({ status: 409, type: "urn:tessera:problem:failed-precondition" });
  });

  it.each([
    ["already_exists", 409, "urn:tessera:problem:already-exists"],
    ["aborted", 409, "urn:tessera:problem:aborted"],
    ["internal", 500, "urn:tessera:problem:internal"],
  ] as const)("answers %s without a reason with HTTP %i and type %s", async (code, status, type) => {
    const test = await start();
    test.cart.failWith(new ServiceError(code, "no"));
    const response = await addItem(test, { productId, quantity: 1 });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ type, status });
  });

  it("reports every body violation, each with its JSON pointer", async () => {
    const test = await start();
    const response = await addItem(test, { productId: "nope", quantity: 0, colour: "red" });
    expect(response.statusCode).toBe(400);
    const problem = response.json<{ type: string; errors: unknown[] }>();
    expect(problem.type).toBe("urn:tessera:problem:invalid-argument");
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { in: "body", parameter: "colour", pointer: "/colour", detail: "is not a known property" },
        expect.objectContaining({ in: "body", parameter: "productId", pointer: "/productId" }),
        expect.objectContaining({ in: "body", parameter: "quantity", pointer: "/quantity" }),
      ]),
    );
    expect(problem.errors).toHaveLength(3);
  });

  it("points at the missing property itself, and at the whole body with an empty pointer", async () => {
    const test = await start();
    const missing = (await addItem(test, { productId })).json<{ errors: unknown[] }>();
    expect(missing.errors).toEqual([
      { in: "body", parameter: "quantity", pointer: "/quantity", detail: "is required" },
    ]);
    const notAnObject = (await addItem(test, [1])).json<{ errors: unknown[] }>();
    expect(notAnObject.errors).toEqual([expect.objectContaining({ in: "body", pointer: "" })]);
  });

  it("gives malformed JSON the same 400 type as a schema violation", async () => {
    const test = await start();
    const response = await test.app.inject({
      method: "POST",
      url: "/api/v1/cart/items",
      headers: { ...(await test.bearer(alice)), "content-type": "application/json" },
      payload: '{"productId": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      type: "urn:tessera:problem:invalid-argument",
      title: "Invalid request",
    });
  });

  it("passes field violations a service raised to errors[], in the API's names", async () => {
    const test = await start();
    test.cart.failWith(
      new ServiceError("invalid_argument", "2 fields are invalid", {
        fieldViolations: [
          { field: "quantity", description: "must be between 1 and 99" },
          { field: "lines[2].product_id", description: "must be a UUID" },
        ],
      }),
    );
    const response = await addItem(test, { productId, quantity: 1 });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      type: "urn:tessera:problem:invalid-argument",
      errors: [
        { in: "body", parameter: "quantity", pointer: "/quantity", detail: "must be between 1 and 99" },
        {
          in: "body",
          parameter: "lines.2.productId",
          pointer: "/lines/2/productId",
          detail: "must be a UUID",
        },
      ],
    });
  });

  it("answers a body that is not JSON with 415, and one over 16 KiB with 413", async () => {
    const test = await start();
    const text = await test.app.inject({
      method: "POST",
      url: "/api/v1/cart/items",
      headers: { ...(await test.bearer(alice)), "content-type": "text/plain" },
      payload: "two tents",
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ type: "urn:tessera:problem:unsupported-media-type", status: 415 });
    const large = await addItem(test, { productId, quantity: 1, pad: "x".repeat(20_000) });
    expect(large.statusCode).toBe(413);
    expect(large.json()).toMatchObject({ type: "urn:tessera:problem:payload-too-large", status: 413 });
  });

  it.each([
    ["unavailable", 503, "urn:tessera:problem:unavailable"],
    ["deadline_exceeded", 504, "urn:tessera:problem:deadline-exceeded"],
  ] as const)("answers %s with %i and the Retry-After the service asked for", async (code, status, type) => {
    const test = await start();
    test.cart.failWith(new ServiceError(code, "busy", { retryDelayMs: 12_300 }));
    const response = await addItem(test, { productId, quantity: 1 });
    expect(response.statusCode).toBe(status);
    expect(response.headers["retry-after"]).toBe("13");
    expect(response.json()).toMatchObject({ type, status });
  });
});
