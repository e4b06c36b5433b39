// The tessera.common.v1 contracts: re-exports of the generated code (never edit src/gen by hand).
export * from "./gen/tessera/common/v1/money_pb.ts";
export * from "./gen/tessera/common/v1/reason_pb.ts";
