// The tessera.options.v1 contracts: re-exports of the generated code (never edit src/gen by hand).
export * from "./gen/tessera/options/v1/access_pb.ts";
