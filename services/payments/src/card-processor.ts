import { ServiceError } from "@tessera/kit";

/**
 * What payments needs of a card processor (acquirer, PSP). The built-in simulator implements it
 * (processor-simulator.ts); a real provider's adapter would too, mapping its API onto these calls.
 *
 * Every call carries an idempotency key: the processor applies a key once and answers a repeat
 * with the first answer. Payments derives the keys from the order or payment, never from an
 * attempt, so a retried call — after a lost response, a rolled-back transaction or a redelivered
 * command — can never hold, capture or refund money twice.
 */
export interface CardProcessor {
  /** Holds `amount` on the card. A decline is an answer, not an error. */
  authorize(request: AuthorizeRequest, options: CallOptions): Promise<AuthorizeResult>;
  /** Takes `amountMinor` (at most the held amount) of an authorization. */
  capture(request: CaptureRequest, options: CallOptions): Promise<CaptureResult>;
  /**
   * Releases a hold. By merchant reference it is a "technical cancel": it releases whatever the
   * processor holds for that reference, which is how one cancels an authorization whose answer never
   * came (and answers `nothing_to_void` when there is none).
   */
  void(request: VoidRequest, options: CallOptions): Promise<VoidResult>;
  /** Gives back part or all of a capture. */
  refund(request: RefundRequest, options: CallOptions): Promise<RefundResult>;
}

export interface CallOptions {
  /** Aborts the call at its deadline; the call then fails with a `timeout` ProcessorError. */
  signal: AbortSignal;
}

export interface AuthorizeRequest {
  idempotencyKey: string;
  /** Ours: the order id, by which a technical cancel finds the authorization. */
  merchantReference: string;
  cardToken: string;
  currency: string;
  amountMinor: bigint;
}

export type DeclineReason = "insufficient_funds" | "expired_card" | "invalid_card";

export type AuthorizeResult =
  { outcome: "approved"; authorizationId: string } | { outcome: "declined"; reason: DeclineReason };

export interface CaptureRequest {
  idempotencyKey: string;
  authorizationId: string;
  amountMinor: bigint;
}

export interface CaptureResult {
  outcome: "captured";
  captureId: string;
}

export interface VoidRequest {
  idempotencyKey: string;
  authorization: { authorizationId: string } | { merchantReference: string };
}

export interface VoidResult {
  outcome: "voided" | "nothing_to_void";
}

export interface RefundRequest {
  idempotencyKey: string;
  authorizationId: string;
  amountMinor: bigint;
}

export interface RefundResult {
  outcome: "refunded";
  refundId: string;
}

/**
 * - `timeout`: no answer within the deadline — the processor may or may not have acted;
 * - `unavailable`: a transient failure (connection reset, 5xx) — it may or may not have acted;
 * - `rejected`: the processor refused the request (unknown authorization, amount too high,
 *   idempotency key reused with other parameters) — it did nothing, and a retry will not help.
 */
export type ProcessorErrorCode = "timeout" | "unavailable" | "rejected";

export class ProcessorError extends Error {
  readonly code: ProcessorErrorCode;

  constructor(code: ProcessorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProcessorError";
    this.code = code;
  }

  /** Whether repeating the call (with the same idempotency key) may succeed. */
  get retryable(): boolean {
    return this.code !== "rejected";
  }
}

/** A signal that aborts after `deadlineMs`, or sooner when `parent` (the caller's RPC) aborts. */
export function deadline(deadlineMs: number, parent?: AbortSignal): AbortSignal {
  const own = AbortSignal.timeout(deadlineMs);
  return parent ? AbortSignal.any([own, parent]) : own;
}

/**
 * A failed processor call as a ServiceError: transient failures are `unavailable` (an event handler
 * throwing it is retried; an RPC caller may retry — the same idempotency key makes that safe);
 * a refusal is `failed_precondition`. Anything else is rethrown as is.
 */
export function processorFailure(error: unknown, operation: string): Error {
  if (!(error instanceof ProcessorError)) return error instanceof Error ? error : new Error(String(error));
  if (error.retryable) {
    return new ServiceError(
      "unavailable",
      `the card processor did not answer the ${operation} (${error.code})`,
      {
        cause: error,
      },
    );
  }
  return new ServiceError(
    "failed_precondition",
    `the card processor refused the ${operation}: ${error.message}`,
    {
      cause: error,
    },
  );
}
