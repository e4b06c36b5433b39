import { loadConfig } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { OrdersConfig } from "./config.ts";

const required = {};

describe("OrdersConfig", () => {
  it("defaults to the documented ports, peers and saga timings", () => {
    expect(loadConfig(OrdersConfig, required)).toMatchObject({
      GRPC_PORT: 50054,
      CART_ADDR: "127.0.0.1:50052",
      INVENTORY_ADDR: "127.0.0.1:50053",
      PAYMENTS_ADDR: "127.0.0.1:50055",
      CART_DEADLINE_MS: 2_000,
      ORDERS_STEP_TIMEOUT_MS: 30_000,
      ORDERS_TIMEOUT_SWEEP_MS: 1_000,
    });
  });

  it.each([
    ["ORDERS_STEP_TIMEOUT_MS", { ...required, ORDERS_STEP_TIMEOUT_MS: "soon" }],
    ["ORDERS_TIMEOUT_SWEEP_MS", { ...required, ORDERS_TIMEOUT_SWEEP_MS: "0" }],
    ["PAYMENTS_ADDR", { ...required, PAYMENTS_ADDR: "payments" }],
    ["CART_ADDR", { ...required, CART_ADDR: "http://cart:50052" }],
  ])("names %s when it is missing or bad", (variable, env) => {
    expect(() => loadConfig(OrdersConfig, env)).toThrow(expect.objectContaining({ variables: [variable] }));
  });
});
