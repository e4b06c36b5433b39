import { status as GrpcStatus } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ServiceError, type ErrorCode } from "./errors.ts";

const codes: [ErrorCode, GrpcStatus, number][] = [
  ["invalid_argument", GrpcStatus.INVALID_ARGUMENT, 400],
  ["not_found", GrpcStatus.NOT_FOUND, 404],
  ["already_exists", GrpcStatus.ALREADY_EXISTS, 409],
  ["failed_precondition", GrpcStatus.FAILED_PRECONDITION, 409],
  ["permission_denied", GrpcStatus.PERMISSION_DENIED, 403],
  ["unauthenticated", GrpcStatus.UNAUTHENTICATED, 401],
  ["resource_exhausted", GrpcStatus.RESOURCE_EXHAUSTED, 429],
  ["aborted", GrpcStatus.ABORTED, 409],
  ["unavailable", GrpcStatus.UNAVAILABLE, 503],
  ["deadline_exceeded", GrpcStatus.DEADLINE_EXCEEDED, 504],
  ["cancelled", GrpcStatus.CANCELLED, 499],
  ["internal", GrpcStatus.INTERNAL, 500],
];

/** What grpc-js hands a client when a call fails. */
function grpcStatusError(code: GrpcStatus, details: string): Error {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: {} });
}

describe("ServiceError", () => {
  it.each(codes)("maps %s to gRPC status %i and HTTP %i", (code, grpc, http) => {
    const error = new ServiceError(code, "message");
    expect(error.grpcStatus).toBe(grpc);
    expect(error.httpStatus).toBe(http);
  });

  it.each(codes)("turns gRPC status of %s back into the same code", (code, grpc) => {
    const error = ServiceError.fromGrpcStatus(grpc, "said no");
    expect(error.code).toBe(code);
    expect(error.message).toBe("said no");
  });

  it("is an Error named ServiceError that keeps its cause", () => {
    const cause = new Error("socket closed");
    const error = new ServiceError("unavailable", "catalog is down", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ServiceError");
    expect(error.cause).toBe(cause);
    expect(error.stack).toContain("ServiceError");
  });

  it("returns a ServiceError from from() as the very same object", () => {
    const error = new ServiceError("not_found", "product p1 not found");
    expect(ServiceError.from(error)).toBe(error);
  });

  it("wraps a gRPC status error by its code and details, keeping it as the cause", () => {
    const grpc = grpcStatusError(GrpcStatus.NOT_FOUND, "product p1 not found");
    const error = ServiceError.from(grpc);
    expect(error.code).toBe("not_found");
    expect(error.message).toBe("product p1 not found");
    expect(error.cause).toBe(grpc);
  });

  it("falls back to the gRPC error's message when its details are empty", () => {
    const error = ServiceError.from(grpcStatusError(GrpcStatus.UNAVAILABLE, ""));
    expect(error.code).toBe("unavailable");
    expect(error.message).toBe("14 UNAVAILABLE: ");
  });

  it("maps gRPC statuses without a Tessera code to internal", () => {
    expect(ServiceError.from(grpcStatusError(GrpcStatus.UNKNOWN, "what")).code).toBe("internal");
    expect(ServiceError.fromGrpcStatus(GrpcStatus.DATA_LOSS, "lost").code).toBe("internal");
    expect(ServiceError.fromGrpcStatus(GrpcStatus.UNIMPLEMENTED, "no such method").code).toBe("internal");
  });

  it("hides an unexpected error behind internal error, keeping it only as the cause", () => {
    const secret = new Error("password authentication failed for user admin");
    const error = ServiceError.from(secret);
    expect(error.code).toBe("internal");
    expect(error.message).toBe("internal error");
    expect(error.cause).toBe(secret);
  });

  it("wraps a lost database connection as unavailable, keeping it as the cause", () => {
    const lost = new Error("Connection terminated unexpectedly");
    const error = ServiceError.from(lost);
    expect(error.code).toBe("unavailable");
    expect(error.httpStatus).toBe(503);
    expect(error.message).toBe("the database is unavailable; retry later");
    expect(error.cause).toBe(lost);
    const starting = Object.assign(new Error("the database system is starting up"), { code: "57P03" });
    expect(ServiceError.from(starting).code).toBe("unavailable");
  });

  it("keeps a failing statement internal, whatever its text says", () => {
    const bad = Object.assign(new Error('relation "connection_timeouts" does not exist'), { code: "42P01" });
    expect(ServiceError.from(bad).code).toBe("internal");
  });

  it("treats thrown non-errors as internal", () => {
    expect(ServiceError.from("boom").code).toBe("internal");
    expect(ServiceError.from(undefined).message).toBe("internal error");
    expect(ServiceError.from({ code: 5, details: "not an Error" }).code).toBe("internal");
  });
});
