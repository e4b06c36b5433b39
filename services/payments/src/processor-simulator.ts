import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
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

/** An authorization as the simulated processor keeps it. */
export interface SimulatedAuthorization {
  id: string;
  merchantReference: string;
  currency: string;
  amountMinor: bigint;
  status: "authorized" | "captured" | "voided";
  capturedMinor: bigint;
  refundedMinor: bigint;
}

export interface SimulatorOptions {
  /** Added to every call, before it is processed. */
  latencyMs?: number;
  /** Share of calls, 0 to 1, failing with a transient `unavailable` error (see `ProcessorSimulator`). */
  failureRate?: number;
  random?: () => number;
  /**
   * How many authorizations and idempotency keys it remembers; the oldest are forgotten beyond
   * (as real processors expire keys after a day), so a long load test cannot exhaust memory.
   */
  remember?: number;
}

/**
 * An in-memory card processor with test cards (above), latency and random transient failures. A
 * failing call fails either before the processor acted or after (the response was lost), half
 * and half — the case that charges twice unless retries reuse the idempotency key. Keys are
 * honoured as a real processor does: the first answer is kept and repeated.
 */
export class ProcessorSimulator implements CardProcessor {
  readonly #latencyMs: number;
  readonly #random: () => number;
  readonly #remember: number;
  #failureRate: number;
  readonly #answers = new Map<string, { fingerprint: string; answer: unknown }>();
  readonly #authorizations = new Map<string, SimulatedAuthorization>();
  /** Authorizations placed for a timeout card, by idempotency key: a retry does not place another. */
  readonly #unanswered = new Map<string, string>();

  constructor({
    latencyMs = 0,
    failureRate = 0,
    random = Math.random,
    remember = 10_000,
  }: SimulatorOptions = {}) {
    this.#latencyMs = latencyMs;
    this.#remember = remember;
    this.#failureRate = failureRate;
    this.#random = random;
  }

  /** Changes the failure rate at run time (tests, demos). */
  setFailureRate(rate: number): void {
    this.#failureRate = rate;
  }

  /** Every authorization, or those of one merchant reference. */
  authorizations(merchantReference?: string): SimulatedAuthorization[] {
    return [...this.#authorizations.values()]
      .filter((a) => merchantReference === undefined || a.merchantReference === merchantReference)
      .map((a) => ({ ...a }));
  }

  authorize(request: AuthorizeRequest, { signal }: CallOptions): Promise<AuthorizeResult> {
    return this.#call(request, signal, async (): Promise<AuthorizeResult> => {
      const card = behaviour(request.cardToken);
      if (card === "timeout") {
        if (!this.#unanswered.has(request.idempotencyKey)) {
          remember(this.#unanswered, request.idempotencyKey, this.#place(request).id, this.#remember);
        }
        return never(signal);
      }
      if (card === "approve") return { outcome: "approved", authorizationId: this.#place(request).id };
      return { outcome: "declined", reason: card === "invalid" ? "invalid_card" : card };
    });
  }

  capture(request: CaptureRequest, { signal }: CallOptions): Promise<CaptureResult> {
    return this.#call(request, signal, (): CaptureResult => {
      const authorization = this.#find(request.authorizationId);
      if (authorization.status !== "authorized") {
        throw new ProcessorError("rejected", `authorization ${authorization.id} is ${authorization.status}`);
      }
      if (request.amountMinor <= 0n || request.amountMinor > authorization.amountMinor) {
        throw new ProcessorError(
          "rejected",
          `cannot capture ${request.amountMinor} of ${authorization.amountMinor}`,
        );
      }
      authorization.status = "captured";
      authorization.capturedMinor = request.amountMinor;
      return { outcome: "captured", captureId: `sim_cap_${randomUUID()}` };
    });
  }

  void(request: VoidRequest, { signal }: CallOptions): Promise<VoidResult> {
    return this.#call(request, signal, (): VoidResult => {
      const target = request.authorization;
      const authorizations =
        "authorizationId" in target
          ? [this.#find(target.authorizationId)]
          : this.authorizations(target.merchantReference).map((a) => this.#find(a.id));
      if (authorizations.some((a) => a.status === "captured")) {
        throw new ProcessorError("rejected", "a captured authorization cannot be voided; refund it");
      }
      const open = authorizations.filter((a) => a.status === "authorized");
      for (const authorization of open) authorization.status = "voided";
      return { outcome: open.length > 0 || "authorizationId" in target ? "voided" : "nothing_to_void" };
    });
  }

  refund(request: RefundRequest, { signal }: CallOptions): Promise<RefundResult> {
    return this.#call(request, signal, (): RefundResult => {
      const authorization = this.#find(request.authorizationId);
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
      authorization.refundedMinor += request.amountMinor;
      return { outcome: "refunded", refundId: `sim_ref_${randomUUID()}` };
    });
  }

  #place(request: AuthorizeRequest): SimulatedAuthorization {
    const authorization: SimulatedAuthorization = {
      id: `sim_auth_${randomUUID()}`,
      merchantReference: request.merchantReference,
      currency: request.currency,
      amountMinor: request.amountMinor,
      status: "authorized",
      capturedMinor: 0n,
      refundedMinor: 0n,
    };
    remember(this.#authorizations, authorization.id, authorization, this.#remember);
    return authorization;
  }

  #find(id: string): SimulatedAuthorization {
    const authorization = this.#authorizations.get(id);
    if (!authorization) throw new ProcessorError("rejected", `no authorization ${id}`);
    return authorization;
  }

  /** Latency, injected failures and idempotency around one operation. */
  async #call<T>(
    request: { idempotencyKey: string },
    signal: AbortSignal,
    perform: () => T | Promise<T>,
  ): Promise<T> {
    if (this.#latencyMs > 0) await sleep(this.#latencyMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) throw timeout();
    const fails = this.#random() < this.#failureRate;
    const afterActing = fails && this.#random() < 0.5;
    if (fails && !afterActing) throw new ProcessorError("unavailable", "simulated failure: connection reset");
    const fingerprint = JSON.stringify(request, (_, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value,
    );
    const previous = this.#answers.get(request.idempotencyKey);
    if (previous && previous.fingerprint !== fingerprint) {
      throw new ProcessorError(
        "rejected",
        `idempotency key ${request.idempotencyKey} was used for another request`,
      );
    }
    const answer = previous ? (previous.answer as T) : await perform();
    remember(this.#answers, request.idempotencyKey, { fingerprint, answer }, this.#remember);
    if (afterActing) throw new ProcessorError("unavailable", "simulated failure: the response was lost");
    return answer;
  }
}

/** Sets `key`, forgetting the oldest entries beyond `max` (a Map iterates in insertion order). */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= max) break;
    map.delete(oldest);
  }
}

const timeout = () => new ProcessorError("timeout", "the processor did not answer within the deadline");

function never(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(timeout());
    signal.addEventListener("abort", () => reject(timeout()), { once: true });
  });
}
