// The tessera.events.v1 contracts: re-exports of the generated code (never edit src/gen by hand).
export * from "./gen/tessera/events/v1/events_pb.ts";
