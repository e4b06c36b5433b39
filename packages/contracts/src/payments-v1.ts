// The tessera.payments.v1 contracts: re-exports of the generated code (never edit src/gen by hand).
export * from "./gen/tessera/payments/v1/events_pb.ts";
export * from "./gen/tessera/payments/v1/payments_pb.ts";
