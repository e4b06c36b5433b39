import { Metadata, status as GrpcStatus } from "@grpc/grpc-js";
import { isConnectionFailure } from "./connection-errors.ts";

/**
 * The error codes every Tessera service speaks. Domain code throws a `ServiceError` with one of
 * these; the RPC edge maps it to a gRPC status and the gateway to an HTTP problem — once, here.
 */
export type ErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "permission_denied"
  | "unauthenticated"
  | "resource_exhausted"
  | "aborted"
  | "unavailable"
  | "deadline_exceeded"
  | "cancelled"
  | "internal";

const toGrpc: Record<ErrorCode, GrpcStatus> = {
  invalid_argument: GrpcStatus.INVALID_ARGUMENT,
  not_found: GrpcStatus.NOT_FOUND,
  already_exists: GrpcStatus.ALREADY_EXISTS,
  failed_precondition: GrpcStatus.FAILED_PRECONDITION,
  permission_denied: GrpcStatus.PERMISSION_DENIED,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  resource_exhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  aborted: GrpcStatus.ABORTED,
  unavailable: GrpcStatus.UNAVAILABLE,
  deadline_exceeded: GrpcStatus.DEADLINE_EXCEEDED,
  cancelled: GrpcStatus.CANCELLED,
  internal: GrpcStatus.INTERNAL,
};

const toHttp: Record<ErrorCode, number> = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  aborted: 409,
  unavailable: 503,
  deadline_exceeded: 503,
  cancelled: 499,
  internal: 500,
};

const fromGrpc = new Map<number, ErrorCode>(
  Object.entries(toGrpc).map(([code, grpc]) => [grpc, code as ErrorCode]),
);

/**
 * The one error type of the platform: a stable code, a message safe to show a caller, and the
 * original `cause` kept for logs. A `reason` names the domain condition within the code
 * (`cart-already-ordered`, `idempotency-key-reused`; kebab-case, stable), so a program can act on
 * it; it travels over gRPC in the `tessera-error-reason` trailer and the gateway makes it the
 * problem type.
 *
 * @example
 *   throw new ServiceError("not_found", `product ${id} not found`);
 *   throw new ServiceError("failed_precondition", "the cart is empty", { reason: "cart-empty" });
 */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly reason: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; reason?: string }) {
    super(message, options);
    this.name = "ServiceError";
    this.code = code;
    this.reason = options?.reason;
  }

  /** The trailing metadata that carries the reason to the caller (empty without one). */
  get grpcMetadata(): Metadata {
    const metadata = new Metadata();
    if (this.reason && reasonPattern.test(this.reason)) metadata.set(reasonKey, this.reason);
    return metadata;
  }

  get grpcStatus(): GrpcStatus {
    return toGrpc[this.code];
  }

  get httpStatus(): number {
    return toHttp[this.code];
  }

  /**
   * Wraps anything thrown: a ServiceError as is, a gRPC status error by its code, a lost or refused
   * database connection as unavailable (it passes by itself; the caller retries later), the rest as
   * internal.
   */
  static from(error: unknown): ServiceError {
    if (error instanceof ServiceError) return error;
    if (isGrpcStatusError(error)) {
      const code = fromGrpc.get(error.code) ?? "internal";
      const reason = error.metadata instanceof Metadata ? error.metadata.get(reasonKey)[0] : undefined;
      return new ServiceError(code, error.details || error.message, {
        cause: error,
        reason: typeof reason === "string" && reasonPattern.test(reason) ? reason : undefined,
      });
    }
    if (isConnectionFailure(error)) {
      return new ServiceError("unavailable", "the database is unavailable; retry later", { cause: error });
    }
    return new ServiceError("internal", "internal error", { cause: error });
  }

  static fromGrpcStatus(code: GrpcStatus, message: string): ServiceError {
    return new ServiceError(fromGrpc.get(code) ?? "internal", message);
  }
}

const reasonKey = "tessera-error-reason";
const reasonPattern = /^[a-z][a-z0-9-]{0,63}$/;

function isGrpcStatusError(
  error: unknown,
): error is Error & { code: number; details: string; metadata?: Metadata } {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === "number" &&
    typeof (error as { details?: unknown }).details === "string"
  );
}
