import { status as GrpcStatus, type Metadata } from "@grpc/grpc-js";
import { isConnectionFailure } from "./connection-errors.ts";
import {
  detailsOf,
  statusTrailer,
  type ErrorDetails,
  type FieldViolation,
  type PreconditionViolation,
} from "./error-details.ts";

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

/** Every code, for a caller that maps them all (the gateway's problem types). */
export const errorCodes = Object.keys(toGrpc) as readonly ErrorCode[];

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
  deadline_exceeded: 504,
  cancelled: 499,
  internal: 500,
};

const fromGrpc = new Map<number, ErrorCode>(
  Object.entries(toGrpc).map(([code, grpc]) => [grpc, code as ErrorCode]),
);

/**
 * The one error type of the platform: a stable code, a message safe to show a caller, the original
 * `cause` kept for logs, and details a program can act on (see `ErrorDetails`). A `reason` names the
 * domain condition within the code (`cart-already-ordered`, `idempotency-key-reused`; kebab-case,
 * stable); `fieldViolations` name each invalid field. The kit's server sends them as a
 * `google.rpc.Status` in the `grpc-status-details-bin` trailer and `from` reads them back on the
 * caller; the gateway makes the reason the problem type and the violations its `errors[]`.
 *
 * @example
 *   throw new ServiceError("not_found", `product ${id} not found`);
 *   throw new ServiceError("failed_precondition", "the cart is empty", { reason: "cart-empty" });
 *   throw new ServiceError("invalid_argument", "quantity must be 1 to 99", {
 *     fieldViolations: [{ field: "quantity", description: "must be 1 to 99" }],
 *   });
 */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly reason: string | undefined;
  readonly domain: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly fieldViolations: readonly FieldViolation[];
  readonly preconditionViolations: readonly PreconditionViolation[];
  readonly retryDelayMs: number | undefined;

  constructor(code: ErrorCode, message: string, options?: ErrorDetails & { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ServiceError";
    this.code = code;
    this.reason = options?.reason;
    this.domain = options?.domain;
    this.metadata = options?.metadata ?? {};
    this.fieldViolations = options?.fieldViolations ?? [];
    this.preconditionViolations = options?.preconditionViolations ?? [];
    this.retryDelayMs = options?.retryDelayMs;
  }

  /** The trailer that carries the details to the caller, `domain` naming the service that refused. */
  grpcMetadata(domain: string): Metadata {
    return statusTrailer(this.grpcStatus, this.message, { ...this, domain: this.domain ?? domain });
  }

  get grpcStatus(): GrpcStatus {
    return toGrpc[this.code];
  }

  get httpStatus(): number {
    return toHttp[this.code];
  }

  /**
   * Wraps anything thrown: a ServiceError as is, a gRPC status error by its code and details, a lost
   * or refused database connection as unavailable (it passes by itself; the caller retries later),
   * the rest as internal.
   */
  static from(error: unknown): ServiceError {
    if (error instanceof ServiceError) return error;
    if (isGrpcStatusError(error)) {
      const code = fromGrpc.get(error.code) ?? "internal";
      const details = detailsOf(error.code, error.metadata);
      return new ServiceError(code, error.details || error.message, { ...details, cause: error });
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

function isGrpcStatusError(
  error: unknown,
): error is Error & { code: number; details: string; metadata?: Metadata } {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === "number" &&
    typeof (error as { details?: unknown }).details === "string"
  );
}
