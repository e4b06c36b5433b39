import { randomUUID } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessorError, type AuthorizeRequest } from "./card-processor.ts";
import { ProcessorSimulator, testCards, type SimulatorOptions } from "./processor-simulator.ts";

const soon = () => ({ signal: AbortSignal.timeout(5_000) });
/** Keys and references unique across the tests, which share one database. */
const unique = (what: string) => `${what}-${randomUUID()}`;
const request = (cardToken: string, amountMinor = 2_500n): AuthorizeRequest => {
  const reference = unique("order");
  return {
    idempotencyKey: `authorize:${reference}`,
    merchantReference: reference,
    cardToken,
    currency: "USD",
    amountMinor,
  };
};

/** A random source answering the given numbers in turn. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe("the card processor simulator", () => {
  let database: TestDatabase;
  const simulators: ProcessorSimulator[] = [];

  /** A simulator on the test database, as payments builds one; a second one is the first restarted. */
  async function simulator(options: Omit<SimulatorOptions, "connectionString"> = {}) {
    const made = new ProcessorSimulator({ connectionString: database.url, ...options });
    simulators.push(made);
    await made.start();
    return made;
  }

  async function approved(processor: ProcessorSimulator, amountMinor = 2_500n) {
    const authorize = request("tok_visa_approve", amountMinor);
    const result = await processor.authorize(authorize, soon());
    if (result.outcome !== "approved") throw new Error("expected an approval");
    return { authorizationId: result.authorizationId, reference: authorize.merchantReference };
  }

  beforeAll(async () => {
    database = await createTestDatabase("payments_simulator");
  });

  afterAll(async () => {
    await Promise.all(simulators.map((s) => s.close()));
    await database?.drop();
  });

  it.each([...testCards.approve, "4242 4242 4242 4242"])("approves the test card %s", async (card) => {
    const result = await (await simulator()).authorize(request(card), soon());
    expect(result).toEqual({ outcome: "approved", authorizationId: expect.stringMatching(/^sim_auth_/) });
  });

  it.each([
    ["tok_card_declined", "insufficient_funds"],
    ["4000000000000002", "insufficient_funds"],
    ["tok_card_expired", "expired_card"],
    ["4000000000000069", "expired_card"],
    ["tok_unknown", "invalid_card"],
    ["", "invalid_card"],
  ])("declines the card %j with %s, holding nothing", async (card, reason) => {
    const processor = await simulator();
    const authorize = request(card);
    expect(await processor.authorize(authorize, soon())).toEqual({ outcome: "declined", reason });
    expect(await processor.authorizations(authorize.merchantReference)).toEqual([]);
  });

  it.each(testCards.timeout)(
    "never answers for %s, though it placed the hold, until a technical cancel",
    async (card) => {
      const processor = await simulator();
      const authorize = request(card);
      const started = Date.now();
      const attempt = () => processor.authorize(authorize, { signal: AbortSignal.timeout(50) });
      await expect(attempt()).rejects.toMatchObject({ code: "timeout", retryable: true });
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      await expect(attempt()).rejects.toMatchObject({ code: "timeout" });
      const reference = authorize.merchantReference;
      expect(await processor.authorizations(reference)).toMatchObject([{ status: "authorized" }]);
      const cancel = { idempotencyKey: unique("cancel"), authorization: { merchantReference: reference } };
      expect(await processor.void(cancel, soon())).toEqual({ outcome: "voided" });
      expect(await processor.authorizations(reference)).toMatchObject([{ status: "voided" }]);
    },
  );

  it("answers a technical cancel with nothing_to_void when it holds nothing for the reference", async () => {
    const cancel = {
      idempotencyKey: unique("cancel"),
      authorization: { merchantReference: unique("order") },
    };
    expect(await (await simulator()).void(cancel, soon())).toEqual({ outcome: "nothing_to_void" });
  });

  it("repeats the first answer for a repeated idempotency key and refuses the key for another request", async () => {
    const processor = await simulator();
    const authorize = request("tok_visa");
    const first = await processor.authorize(authorize, soon());
    expect(await processor.authorize(authorize, soon())).toEqual(first);
    expect(await processor.authorizations(authorize.merchantReference)).toHaveLength(1);
    await expect(processor.authorize({ ...authorize, amountMinor: 1n }, soon())).rejects.toMatchObject({
      code: "rejected",
      retryable: false,
    });
  });

  it("captures at most the held amount, once", async () => {
    const processor = await simulator();
    const { authorizationId, reference } = await approved(processor);
    const capture = (amountMinor: bigint) =>
      processor.capture({ idempotencyKey: unique("capture"), authorizationId, amountMinor }, soon());
    await expect(capture(2_501n)).rejects.toMatchObject({ code: "rejected" });
    expect((await capture(2_500n)).captureId).toMatch(/^sim_cap_/);
    await expect(capture(2_500n)).rejects.toMatchObject({ code: "rejected" });
    expect(await processor.authorizations(reference)).toMatchObject([
      { status: "captured", capturedMinor: 2_500n },
    ]);
  });

  it("refuses to void a capture, and to refund more than was captured", async () => {
    const processor = await simulator();
    const { authorizationId, reference } = await approved(processor);
    await processor.capture(
      { idempotencyKey: unique("capture"), authorizationId, amountMinor: 2_500n },
      soon(),
    );
    await expect(
      processor.void({ idempotencyKey: unique("void"), authorization: { authorizationId } }, soon()),
    ).rejects.toMatchObject({ code: "rejected" });
    const refund = (amountMinor: bigint) =>
      processor.refund({ idempotencyKey: unique("refund"), authorizationId, amountMinor }, soon());
    await refund(2_000n);
    await expect(refund(501n)).rejects.toBeInstanceOf(ProcessorError);
    expect(await processor.authorizations(reference)).toMatchObject([{ refundedMinor: 2_000n }]);
  });

  it("refuses to capture or refund an authorization it does not know", async () => {
    const processor = await simulator();
    const unknown = { idempotencyKey: unique("x"), authorizationId: "sim_auth_nope", amountMinor: 1n };
    await expect(processor.capture(unknown, soon())).rejects.toMatchObject({ code: "rejected" });
    await expect(processor.refund(unknown, soon())).rejects.toMatchObject({ code: "rejected" });
  });

  it("fails transiently at the configured rate, before acting or after it", async () => {
    // Two draws per failing call: below the rate it fails; then below 0.5 it fails after acting.
    const before = await simulator({ failureRate: 0.5, random: sequence(0.1, 0.9) });
    const first = request("tok_visa");
    await expect(before.authorize(first, soon())).rejects.toMatchObject({ code: "unavailable" });
    expect(await before.authorizations(first.merchantReference)).toHaveLength(0);

    const after = await simulator({ failureRate: 0.5, random: sequence(0.1, 0.2) });
    const second = request("tok_visa");
    await expect(after.authorize(second, soon())).rejects.toMatchObject({
      code: "unavailable",
      message: /lost/,
    });
    const [placed] = await after.authorizations(second.merchantReference);
    expect(placed).toBeDefined();
    after.setFailureRate(0);
    expect(await after.authorize(second, soon())).toEqual({
      outcome: "approved",
      authorizationId: placed!.id,
    });
    expect(await after.authorizations(second.merchantReference)).toHaveLength(1);
  });

  it("never fails with the default failure rate of zero", async () => {
    const processor = await simulator({ random: () => 0 });
    for (let i = 0; i < 20; i++) await approved(processor);
  });

  it("adds its latency, and times out when the latency passes the deadline", async () => {
    const processor = await simulator({ latencyMs: 40 });
    const started = Date.now();
    await approved(processor);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    const late = request("tok_visa");
    await expect(processor.authorize(late, { signal: AbortSignal.timeout(10) })).rejects.toMatchObject({
      code: "timeout",
    });
    // The deadline passed while the request was on its way: the processor never saw it.
    expect(await processor.authorizations(late.merchantReference)).toEqual([]);
  });

  it("acts before the answer's half of the latency: a deadline passing then leaves the hold placed", async () => {
    const processor = await simulator({ latencyMs: 2_000 });
    const authorize = request("tok_visa");
    await expect(
      processor.authorize(authorize, { signal: AbortSignal.timeout(1_500) }),
    ).rejects.toMatchObject({
      code: "timeout",
    });
    expect(await processor.authorizations(authorize.merchantReference)).toMatchObject([
      { status: "authorized" },
    ]);
  });

  it("remembers across a restart: captures, refunds and repeats answers of what it did before", async () => {
    const first = await simulator();
    const authorize = request("tok_visa", 9_000n);
    const { authorizationId } = (await first.authorize(authorize, soon())) as { authorizationId: string };
    const capture = { idempotencyKey: unique("capture"), authorizationId, amountMinor: 9_000n };
    const captured = await first.capture(capture, soon());
    await first.close();

    const restarted = await simulator();
    const refund = { idempotencyKey: unique("refund"), authorizationId, amountMinor: 4_000n };
    expect(await restarted.refund(refund, soon())).toMatchObject({ outcome: "refunded" });
    // Keys used before the restart still repeat their first answer, and still refuse another request.
    expect(await restarted.authorize(authorize, soon())).toEqual({ outcome: "approved", authorizationId });
    expect(await restarted.capture(capture, soon())).toEqual(captured);
    await expect(restarted.authorize({ ...authorize, amountMinor: 1n }, soon())).rejects.toMatchObject({
      code: "rejected",
    });
    expect(await restarted.authorizations(authorize.merchantReference)).toMatchObject([
      { id: authorizationId, status: "captured", capturedMinor: 9_000n, refundedMinor: 4_000n },
    ]);
  });

  it("gives one answer to the same key asked by two simulators at once, holding once", async () => {
    const [a, b] = [await simulator(), await simulator()];
    const authorize = request("tok_visa");
    const [first, second] = await Promise.all([
      a.authorize(authorize, soon()),
      b.authorize(authorize, soon()),
    ]);
    expect(second).toEqual(first);
    expect(await a.authorizations(authorize.merchantReference)).toHaveLength(1);
  });
});
