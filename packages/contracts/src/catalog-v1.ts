// The tessera.catalog.v1 contracts: re-exports of the generated code (never edit src/gen by hand).
export * from "./gen/tessera/catalog/v1/catalog_pb.ts";
export * from "./gen/tessera/catalog/v1/events_pb.ts";
