// The google.rpc error model (vendored from googleapis): re-exports of the generated code.
export * from "./gen/google/rpc/status_pb.ts";
export * from "./gen/google/rpc/error_details_pb.ts";
