// The tessera.testing.v1 contracts: re-exports of the generated code (never edit src/gen by hand).
export * from "./gen/tessera/testing/v1/echo_pb.ts";
export * from "./gen/tessera/testing/v1/auth_probe_pb.ts";
