import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger, Tx } from "@tessera/kit";
import {
  ProcessorError,
  type AuthorizeRequest,
  type AuthorizeResult,
  type CallOptions,
  type CaptureRequest,
  type CaptureResult,
  type CardProcessor,
  type RefundRequest,
  type RefundResult,
  type VoidRequest,
  type VoidResult,
} from "./card-processor.ts";
import { SimulatorStore, type SimulatedAuthorization } from "./simulator-store.ts";

export type { SimulatedAuthorization };

/**
 * Test cards of the simulator (by token or by number):
 *
 * | Card                                                   | Authorization                                  |
 * |--------------------------------------------------------|------------------------------------------------|
 * | `tok_visa_approve`, `tok_visa`, `4242424242424242`     | approved                                       |
 * | `tok_mastercard`, `5555555555554444`                   | approved                                       |
 * | `tok_card_declined`, `4000000000000002`                | declined: `insufficient_funds`                 |
 * | `tok_card_expired`, `4000000000000069`                 | declined: `expired_card`                       |
 * | `tok_processor_timeout`, `4000000000000119`            | never answers (the hold IS placed): a timeout  |
 * | anything else, including an empty token                | declined: `invalid_card`                       |
 *
 * Capture, void and refund always answer for an approved authorization.
 */
export const testCards = {
  approve: ["tok_visa_approve", "tok_visa", "4242424242424242", "tok_mastercard", "5555555555554444"],
  insufficientFunds: ["tok_card_declined", "4000000000000002"],
  expired: ["tok_card_expired", "4000000000000069"],
  timeout: ["tok_processor_timeout", "4000000000000119"],
} as const;

const behaviour = (
  token: string,
): "approve" | "insufficient_funds" | "expired_card" | "timeout" | "invalid" => {
  const normalized = token.replace(/[\s-]/g, "");
  const is = (cards: readonly string[]) => cards.includes(normalized);
  if (is(testCards.approve)) return "approve";
  if (is(testCards.insufficientFunds)) return "insufficient_funds";
  if (is(testCards.expired)) return "expired_card";
  if (is(testCards.timeout)) return "timeout";
  return "invalid";
};

export interface SimulatorOptions {
  /** The PostgreSQL database the simulator keeps its state in (its own schema, `card_simulator`). */
  connectionString: string;
  /** Added to every call: half before the processor acts (the request), half after (the answer). */
  latencyMs?: number;
  /** Share of calls, 0 to 1, failing with a transient `unavailable` error (see `ProcessorSimulator`). */
  failureRate?: number;
  random?: () => number;
  log?: Logger;
}

/** What the timeout cards' authorizations store as their answer: there is none, ever. */
const unanswered = { unanswered: true } as const;
type Unanswered = typeof unanswered;
const isUnanswered = (answer: unknown): answer is Unanswered =>
  typeof answer === "object" && answer !== null && "unanswered" in answer;

/**
 * A card processor with test cards (above), latency and random transient failures. A failing call
 * fails either before the processor acted or after (the response was lost), half and half — the
 * case that charges twice unless retries reuse the idempotency key. Keys are honoured as a real
 * processor does: the first answer is kept and repeated.
 *
 * It remembers, as a processor does: authorizations and answers live in PostgreSQL (its own schema
 * and connections, see simulator-store.ts), so a payments restart can still capture, refund and
 * dedupe what it did before. Call `start()` before the first call and `close()` at the end.
 */
export class ProcessorSimulator implements CardProcessor {
  readonly #store: SimulatorStore;
  readonly #latencyMs: number;
  readonly #random: () => number;
  #failureRate: number;

  constructor({
    connectionString,
    latencyMs = 0,
    failureRate = 0,
    random = Math.random,
    log,
  }: SimulatorOptions) {
    this.#store = new SimulatorStore({ connectionString, log });
    this.#latencyMs = latencyMs;
    this.#failureRate = failureRate;
    this.#random = random;
  }

  /** Creates the simulator's schema when missing. */
  start(): Promise<void> {
    return this.#store.migrate();
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  /** Changes the failure rate at run time (tests, demos). */
  setFailureRate(rate: number): void {
    this.#failureRate = rate;
  }

  /** Every authorization, or those of one merchant reference, oldest first. */
  authorizations(merchantReference?: string): Promise<SimulatedAuthorization[]> {
    return this.#store.list(merchantReference);
  }

  authorize(request: AuthorizeRequest, { signal }: CallOptions): Promise<AuthorizeResult> {
    return this.#call(request, signal, async (tx): Promise<AuthorizeResult | Unanswered> => {
      const card = behaviour(request.cardToken);
      if (card === "timeout") {
        // The hold is placed, the answer never comes; a retry with the key places no other hold.
        await this.#place(tx, request);
        return unanswered;
      }
      if (card === "approve") return { outcome: "approved", authorizationId: await this.#place(tx, request) };
      return { outcome: "declined", reason: card === "invalid" ? "invalid_card" : card };
    });
  }

  capture(request: CaptureRequest, { signal }: CallOptions): Promise<CaptureResult> {
    return this.#call(request, signal, async (tx): Promise<CaptureResult> => {
      const authorization = await this.#store.lockAuthorization(tx, request.authorizationId);
      if (authorization.status !== "authorized") {
        throw new ProcessorError("rejected", `authorization ${authorization.id} is ${authorization.status}`);
      }
      if (request.amountMinor <= 0n || request.amountMinor > authorization.amountMinor) {
        throw new ProcessorError(
          "rejected",
          `cannot capture ${request.amountMinor} of ${authorization.amountMinor}`,
        );
      }
      await this.#store.updateAuthorization(tx, {
        ...authorization,
        status: "captured",
        capturedMinor: request.amountMinor,
      });
      return { outcome: "captured", captureId: `sim_cap_${randomUUID()}` };
    });
  }

  void(request: VoidRequest, { signal }: CallOptions): Promise<VoidResult> {
    return this.#call(request, signal, async (tx): Promise<VoidResult> => {
      const target = request.authorization;
      const byId = "authorizationId" in target;
      const authorizations = byId
        ? [await this.#store.lockAuthorization(tx, target.authorizationId)]
        : await this.#store.lockByReference(tx, target.merchantReference);
      if (authorizations.some((a) => a.status === "captured")) {
        throw new ProcessorError("rejected", "a captured authorization cannot be voided; refund it");
      }
      const open = authorizations.filter((a) => a.status === "authorized");
      for (const authorization of open) {
        await this.#store.updateAuthorization(tx, { ...authorization, status: "voided" });
      }
      return { outcome: open.length > 0 || byId ? "voided" : "nothing_to_void" };
    });
  }

  refund(request: RefundRequest, { signal }: CallOptions): Promise<RefundResult> {
    return this.#call(request, signal, async (tx): Promise<RefundResult> => {
      const authorization = await this.#store.lockAuthorization(tx, request.authorizationId);
      const refundable = authorization.capturedMinor - authorization.refundedMinor;
      if (
        authorization.status !== "captured" ||
        request.amountMinor <= 0n ||
        request.amountMinor > refundable
      ) {
        throw new ProcessorError(
          "rejected",
          `cannot refund ${request.amountMinor}; ${refundable} is refundable`,
        );
      }
      await this.#store.updateAuthorization(tx, {
        ...authorization,
        refundedMinor: authorization.refundedMinor + request.amountMinor,
      });
      return { outcome: "refunded", refundId: `sim_ref_${randomUUID()}` };
    });
  }

  async #place(tx: Tx, request: AuthorizeRequest): Promise<string> {
    const id = `sim_auth_${randomUUID()}`;
    await this.#store.insertAuthorization(tx, {
      id,
      merchantReference: request.merchantReference,
      currency: request.currency,
      amountMinor: request.amountMinor,
      status: "authorized",
      capturedMinor: 0n,
      refundedMinor: 0n,
    });
    return id;
  }

  /** Latency, injected failures and idempotency around one operation. */
  async #call<T>(
    request: { idempotencyKey: string },
    signal: AbortSignal,
    perform: (tx: Tx) => Promise<T | Unanswered>,
  ): Promise<T> {
    await this.#travel(signal);
    const fails = this.#random() < this.#failureRate;
    const afterActing = fails && this.#random() < 0.5;
    if (fails && !afterActing) throw new ProcessorError("unavailable", "simulated failure: connection reset");
    const fingerprint = JSON.stringify(request, (_, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value,
    );
    const answer = await this.#store.once(request.idempotencyKey, fingerprint, perform);
    // A deadline passing from here on is a real processor's timeout: it acted, the caller never hears.
    await this.#travel(signal);
    if (afterActing) throw new ProcessorError("unavailable", "simulated failure: the response was lost");
    return isUnanswered(answer) ? never(signal) : answer;
  }

  /** Half the latency: the request on its way, or the answer on its way back. */
  async #travel(signal: AbortSignal): Promise<void> {
    if (this.#latencyMs > 0) await sleep(this.#latencyMs / 2, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) throw timeout();
  }
}

const timeout = () => new ProcessorError("timeout", "the processor did not answer within the deadline");

function never(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(timeout());
    signal.addEventListener("abort", () => reject(timeout()), { once: true });
  });
}
