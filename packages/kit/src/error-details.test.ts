import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Metadata, status as GrpcStatus } from "@grpc/grpc-js";
import { ErrorInfoSchema, StatusSchema } from "@tessera/contracts/google/rpc";
import { describe, expect, it } from "vitest";
import { statusDetailsKey } from "./error-details.ts";
import { ServiceError } from "./errors.ts";

/** What grpc-js hands a client when a call fails with `trailer`. */
function received(code: GrpcStatus, details: string, metadata: Metadata): Error {
  return Object.assign(new Error(details), { code, details, metadata });
}

function trailerOf(bytes: Uint8Array): Metadata {
  const metadata = new Metadata();
  metadata.set(statusDetailsKey, Buffer.from(bytes));
  return metadata;
}

describe("ServiceError details over gRPC", () => {
  it("round-trips every detail kind through the grpc-status-details-bin trailer", () => {
    const sent = new ServiceError("invalid_argument", "2 fields are invalid", {
      reason: "invalid-line",
      metadata: { max: "99" },
      fieldViolations: [
        { field: "lines[0].quantity", description: "must be 1 to 99" },
        { field: "lines[2].product_id", description: "must be a UUID" },
      ],
      preconditionViolations: [{ type: "price", subject: "product p1", description: "has no price" }],
      retryDelayMs: 1_500,
    });
    const metadata = sent.grpcMetadata("tessera.cart");
    expect(Object.keys(metadata.getMap())).toEqual([statusDetailsKey]);
    const error = ServiceError.from(received(sent.grpcStatus, sent.message, metadata));
    expect(error).toMatchObject({
      code: "invalid_argument",
      message: "2 fields are invalid",
      reason: "invalid-line",
      domain: "tessera.cart",
      metadata: { max: "99" },
      fieldViolations: sent.fieldViolations,
      preconditionViolations: sent.preconditionViolations,
      retryDelayMs: 1_500,
    });
  });

  it("sends no trailer for an error without details", () => {
    expect(new ServiceError("not_found", "x").grpcMetadata("tessera.catalog").getMap()).toEqual({});
  });

  it("drops a reason that is not a kebab-case word rather than send it", () => {
    const metadata = new ServiceError("aborted", "x", { reason: "Not A Reason" }).grpcMetadata(
      "tessera.cart",
    );
    expect(metadata.getMap()).toEqual({});
  });

  it.each([
    ["garbage bytes", Buffer.from("\xff\xff\xff not a protobuf")],
    [
      "a truncated status",
      toBinary(StatusSchema, create(StatusSchema, { code: 9, message: "m" })).slice(0, 3),
    ],
  ])("keeps the code and message of a call whose trailer holds %s, without details", (_, bytes) => {
    const error = ServiceError.from(received(GrpcStatus.FAILED_PRECONDITION, "refused", trailerOf(bytes)));
    expect(error).toMatchObject({ code: "failed_precondition", message: "refused", reason: undefined });
    expect(error.fieldViolations).toEqual([]);
  });

  it("ignores details whose status code is not the call's, and details it does not know", () => {
    const info = anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "cart-empty" }));
    const otherCode = create(StatusSchema, { code: GrpcStatus.NOT_FOUND, details: [info] });
    const mismatch = ServiceError.from(
      received(GrpcStatus.FAILED_PRECONDITION, "x", trailerOf(toBinary(StatusSchema, otherCode))),
    );
    expect(mismatch.reason).toBeUndefined();
    const unknown = {
      $typeName: "google.protobuf.Any" as const,
      typeUrl: "type.googleapis.com/x.Y",
      value: new Uint8Array([1]),
    };
    const broken = { ...info, value: new Uint8Array([0xff, 0xff]) };
    const status = create(StatusSchema, { code: GrpcStatus.FAILED_PRECONDITION, details: [unknown, broken] });
    const error = ServiceError.from(
      received(GrpcStatus.FAILED_PRECONDITION, "x", trailerOf(toBinary(StatusSchema, status))),
    );
    expect(error).toMatchObject({ code: "failed_precondition", reason: undefined, fieldViolations: [] });
  });

  it("bounds what a peer sends: at most 100 violations, long text clipped", () => {
    const fieldViolations = Array.from({ length: 150 }, (_, i) => ({
      field: `f${i}`,
      description: "x".repeat(2_000),
    }));
    const sent = new ServiceError("invalid_argument", "many", { fieldViolations });
    const error = ServiceError.from(received(sent.grpcStatus, "many", sent.grpcMetadata("tessera.x")));
    expect(error.fieldViolations).toHaveLength(100);
    expect(error.fieldViolations[0]?.description.length).toBeLessThanOrEqual(501);
  });
});
