// The tessera.cart.v1 contracts: re-exports of the generated code (never edit src/gen by hand).
export * from "./gen/tessera/cart/v1/cart_pb.ts";
