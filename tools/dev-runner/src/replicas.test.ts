import { describe, expect, it } from "vitest";
import { readRunnerConfig } from "./config.ts";
import { MAX_REPLICAS, parseReplicas } from "./replicas.ts";
import { planServices, type PlanOptions } from "./service-plan.ts";
import { PORTS, POSTGRES_PORT, SERVICES } from "./services.ts";

const names = SERVICES.map((service) => service.name);
const options: PlanOptions = {
  portOffset: 0,
  httpPorts: { GATEWAY_PORT: 8080 },
  databaseUrls: {},
  logLevel: "info",
};

describe("TESSERA_REPLICAS", () => {
  it("reads a count per service, spaces allowed, and one process for the others", () => {
    expect(parseReplicas(" orders=2, inventory = 3,", names)).toEqual({ orders: 2, inventory: 3 });
    expect(parseReplicas("", names)).toEqual({});
    expect(readRunnerConfig({ TESSERA_REPLICAS: "payments=2" }).replicas).toEqual({ payments: 2 });
  });

  it.each([
    ["order=2", /unknown service "order"; the services are identity, catalog/],
    ["orders", /"orders" is not <service>=<count>/],
    ["orders=2=3", /is not <service>=<count>/],
    ["orders=0", /orders=0: the count must be a whole number from 1 to 8/],
    ["orders=1.5", /the count must be a whole number/],
    [`orders=${MAX_REPLICAS + 1}`, /the count must be a whole number from 1 to 8/],
    ["orders=2,orders=3", /orders is named twice/],
    ["gateway=2", /gateway runs one process: it owns the one public HTTP port/],
    ["identity=2", /identity runs one process/],
  ])("refuses %s, saying why and naming the variable", (value, why) => {
    expect(() => readRunnerConfig({ TESSERA_REPLICAS: value })).toThrow(why);
    expect(() => readRunnerConfig({ TESSERA_REPLICAS: value })).toThrow(/TESSERA_REPLICAS/);
  });

  it("runs orders#2 a port step above orders, on the same database, and hands callers both addresses", () => {
    const plan = planServices(SERVICES, { ...options, replicas: { orders: 2, inventory: 2 } });
    const byName = new Map(plan.map((service) => [service.name, service]));
    expect(plan.map((service) => service.name)).toEqual([
      "identity",
      "catalog",
      "inventory",
      "inventory#2",
      "payments",
      "cart",
      "orders",
      "orders#2",
      "notifications",
      "gateway",
    ]);
    expect(byName.get("orders#2")).toMatchObject({
      service: "orders",
      replica: 2,
      grpcPort: 50154,
      opsPort: 9154,
      database: "create",
    });
    expect(byName.get("orders#2")?.env).toMatchObject({ GRPC_PORT: "50154", OPS_PORT: "9154" });
    expect(byName.get("orders")).toMatchObject({ service: "orders", replica: 1, grpcPort: 50054 });
    expect(byName.get("payments")?.env["ORDERS_ADDR"]).toBe("127.0.0.1:50054,127.0.0.1:50154");
    expect(byName.get("orders#2")?.env["INVENTORY_ADDR"]).toBe("127.0.0.1:50053,127.0.0.1:50153");
    expect(byName.get("orders")?.env["PAYMENTS_ADDR"]).toBe("127.0.0.1:50055");
  });

  it("never gives two processes one port, nor a replica a port of the table, at the largest counts and an offset", () => {
    const most = Object.fromEntries(
      names.filter((name) => name !== "gateway" && name !== "identity").map((name) => [name, MAX_REPLICAS]),
    );
    for (const portOffset of [0, 3_000]) {
      const plan = planServices(SERVICES, { ...options, portOffset, replicas: most });
      const taken = plan.flatMap((service) =>
        [service.grpcPort, service.opsPort, service.httpPort].filter((port) => port !== undefined),
      );
      expect(new Set(taken).size).toBe(taken.length);
      const fixed = [...Object.values(PORTS).flatMap((ports) => Object.values(ports)), POSTGRES_PORT];
      const replicaPorts = plan
        .filter((service) => service.replica > 1)
        .flatMap((service) => [service.grpcPort, service.opsPort]);
      expect(replicaPorts.filter((port) => fixed.some((base) => base + portOffset === port))).toEqual([]);
      expect(plan.find((service) => service.name === "orders#8")?.grpcPort).toBe(50754 + portOffset);
    }
  });

  it("refuses replica ports past 65535, naming the offset", () => {
    expect(() => planServices(SERVICES, { ...options, portOffset: 15_000, replicas: { orders: 8 } })).toThrow(
      /TESSERA_PORT_OFFSET/,
    );
  });
});
