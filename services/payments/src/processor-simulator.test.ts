import { describe, expect, it } from "vitest";
import { ProcessorError, type AuthorizeRequest } from "./card-processor.ts";
import { ProcessorSimulator, testCards } from "./processor-simulator.ts";

const soon = () => ({ signal: AbortSignal.timeout(1_000) });
let orders = 0;
const request = (cardToken: string, amountMinor = 2_500n): AuthorizeRequest => {
  const reference = `order-${++orders}`;
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

async function approved(processor: ProcessorSimulator, amountMinor = 2_500n): Promise<string> {
  const result = await processor.authorize(request("tok_visa_approve", amountMinor), soon());
  if (result.outcome !== "approved") throw new Error("expected an approval");
  return result.authorizationId;
}

describe("the card processor simulator", () => {
  it.each([...testCards.approve, "4242 4242 4242 4242"])("approves the test card %s", async (card) => {
    const result = await new ProcessorSimulator().authorize(request(card), soon());
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
    const processor = new ProcessorSimulator();
    expect(await processor.authorize(request(card), soon())).toEqual({ outcome: "declined", reason });
    expect(processor.authorizations()).toEqual([]);
  });

  it.each(testCards.timeout)(
    "never answers for %s, though it placed the hold, until a technical cancel",
    async (card) => {
      const processor = new ProcessorSimulator();
      const authorize = request(card);
      const started = Date.now();
      const attempt = () => processor.authorize(authorize, { signal: AbortSignal.timeout(50) });
      await expect(attempt()).rejects.toMatchObject({ code: "timeout", retryable: true });
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      await expect(attempt()).rejects.toMatchObject({ code: "timeout" });
      expect(processor.authorizations(authorize.merchantReference)).toMatchObject([{ status: "authorized" }]);
      const cancel = {
        idempotencyKey: "cancel-1",
        authorization: { merchantReference: authorize.merchantReference },
      };
      expect(await processor.void(cancel, soon())).toEqual({ outcome: "voided" });
      expect(processor.authorizations(authorize.merchantReference)).toMatchObject([{ status: "voided" }]);
    },
  );

  it("answers a technical cancel with nothing_to_void when it holds nothing for the reference", async () => {
    const cancel = { idempotencyKey: "cancel-2", authorization: { merchantReference: "order-none" } };
    expect(await new ProcessorSimulator().void(cancel, soon())).toEqual({ outcome: "nothing_to_void" });
  });

  it("repeats the first answer for a repeated idempotency key and refuses the key for another request", async () => {
    const processor = new ProcessorSimulator();
    const authorize = request("tok_visa");
    const first = await processor.authorize(authorize, soon());
    expect(await processor.authorize(authorize, soon())).toEqual(first);
    expect(processor.authorizations(authorize.merchantReference)).toHaveLength(1);
    await expect(processor.authorize({ ...authorize, amountMinor: 1n }, soon())).rejects.toMatchObject({
      code: "rejected",
      retryable: false,
    });
  });

  it("captures at most the held amount, once", async () => {
    const processor = new ProcessorSimulator();
    const authorizationId = await approved(processor);
    await expect(
      processor.capture({ idempotencyKey: "c1", authorizationId, amountMinor: 2_501n }, soon()),
    ).rejects.toMatchObject({ code: "rejected" });
    const captured = await processor.capture(
      { idempotencyKey: "c2", authorizationId, amountMinor: 2_500n },
      soon(),
    );
    expect(captured.captureId).toMatch(/^sim_cap_/);
    await expect(
      processor.capture({ idempotencyKey: "c3", authorizationId, amountMinor: 2_500n }, soon()),
    ).rejects.toMatchObject({ code: "rejected" });
    expect(processor.authorizations()[0]).toMatchObject({ status: "captured", capturedMinor: 2_500n });
  });

  it("refuses to void a capture, and to refund more than was captured", async () => {
    const processor = new ProcessorSimulator();
    const authorizationId = await approved(processor);
    await processor.capture({ idempotencyKey: "c", authorizationId, amountMinor: 2_500n }, soon());
    await expect(
      processor.void({ idempotencyKey: "v", authorization: { authorizationId } }, soon()),
    ).rejects.toMatchObject({ code: "rejected" });
    await processor.refund({ idempotencyKey: "r1", authorizationId, amountMinor: 2_000n }, soon());
    await expect(
      processor.refund({ idempotencyKey: "r2", authorizationId, amountMinor: 501n }, soon()),
    ).rejects.toBeInstanceOf(ProcessorError);
    expect(processor.authorizations()[0]).toMatchObject({ refundedMinor: 2_000n });
  });

  it("refuses to capture or refund an authorization it does not know", async () => {
    const processor = new ProcessorSimulator();
    const unknown = { idempotencyKey: "x", authorizationId: "sim_auth_nope", amountMinor: 1n };
    await expect(processor.capture(unknown, soon())).rejects.toMatchObject({ code: "rejected" });
    await expect(processor.refund(unknown, soon())).rejects.toMatchObject({ code: "rejected" });
  });

  it("fails transiently at the configured rate, before acting or after it", async () => {
    // Two draws per failing call: below the rate it fails; then below 0.5 it fails after acting.
    const before = new ProcessorSimulator({ failureRate: 0.5, random: sequence(0.1, 0.9) });
    const first = request("tok_visa");
    await expect(before.authorize(first, soon())).rejects.toMatchObject({ code: "unavailable" });
    expect(before.authorizations()).toHaveLength(0);

    const after = new ProcessorSimulator({ failureRate: 0.5, random: sequence(0.1, 0.2) });
    const second = request("tok_visa");
    await expect(after.authorize(second, soon())).rejects.toMatchObject({
      code: "unavailable",
      message: /lost/,
    });
    expect(after.authorizations()).toHaveLength(1);
    after.setFailureRate(0);
    const retried = await after.authorize(second, soon());
    expect(retried).toEqual({ outcome: "approved", authorizationId: after.authorizations()[0]!.id });
    expect(after.authorizations()).toHaveLength(1);
  });

  it("never fails with the default failure rate of zero", async () => {
    const processor = new ProcessorSimulator({ random: () => 0 });
    for (let i = 0; i < 20; i++) await approved(processor);
    expect(processor.authorizations()).toHaveLength(20);
  });

  it("forgets the oldest authorizations beyond what it remembers", async () => {
    const processor = new ProcessorSimulator({ remember: 3 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await approved(processor));
    expect(processor.authorizations().map((a) => a.id)).toEqual(ids.slice(2));
  });

  it("adds its latency, and times out when the latency passes the deadline", async () => {
    const processor = new ProcessorSimulator({ latencyMs: 40 });
    const started = Date.now();
    await approved(processor);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    await expect(
      processor.authorize(request("tok_visa"), { signal: AbortSignal.timeout(10) }),
    ).rejects.toMatchObject({ code: "timeout" });
    expect(processor.authorizations()).toHaveLength(1);
  });
});
