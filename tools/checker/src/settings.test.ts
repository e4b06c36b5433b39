import { ConfigError } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { readCheckerSettings } from "./settings.ts";

describe("readCheckerSettings", () => {
  it("checks the system on the default ports when no offset is set", () => {
    expect(readCheckerSettings({}).addresses).toEqual({
      orders: "127.0.0.1:50054",
      inventory: "127.0.0.1:50053",
      payments: "127.0.0.1:50055",
    });
  });

  it("checks the system the dev runner started with the same TESSERA_PORT_OFFSET", () => {
    expect(readCheckerSettings({ TESSERA_PORT_OFFSET: "3000" }).addresses).toEqual({
      orders: "127.0.0.1:53054",
      inventory: "127.0.0.1:53053",
      payments: "127.0.0.1:53055",
    });
  });

  it("lets an explicit address win over the offset", () => {
    const settings = readCheckerSettings({
      TESSERA_PORT_OFFSET: "3000",
      ORDERS_ADDR: "orders.internal:50054",
    });
    expect(settings.addresses.orders).toBe("orders.internal:50054");
    expect(settings.addresses.payments).toBe("127.0.0.1:53055");
  });

  it("names a bad variable", () => {
    expect(() => readCheckerSettings({ TESSERA_PORT_OFFSET: "lots" })).toThrow(ConfigError);
    expect(() => readCheckerSettings({ ORDERS_ADDR: "nowhere" })).toThrow(/ORDERS_ADDR/);
  });
});
