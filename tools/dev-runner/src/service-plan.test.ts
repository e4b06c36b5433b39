import { describe, expect, it } from "vitest";
import { childEnvironment, planServices, type PlanOptions } from "./service-plan.ts";
import { PORTS, SERVICES, type ServiceDefinition } from "./services.ts";

const defaults: PlanOptions = {
  portOffset: 0,
  httpPorts: { GATEWAY_PORT: 8080 },
  databaseUrls: {},
  logLevel: "info",
};
const byName = (options: Partial<PlanOptions> = {}, services = SERVICES) =>
  new Map(planServices(services, { ...defaults, ...options }).map((service) => [service.name, service]));

describe("the services table", () => {
  it("gives every service of the design ports of its own", () => {
    const ports = Object.values(PORTS).flatMap((ports) => Object.values(ports));
    expect(new Set(ports).size).toBe(ports.length);
    expect(Object.keys(PORTS).sort()).toEqual(
      ["cart", "catalog", "gateway", "identity", "inventory", "notifications", "orders", "payments"].sort(),
    );
  });

  it("runs every service with a database but the gateway, each knowing the addresses it needs", () => {
    const plan = byName();
    expect(plan.get("catalog")).toMatchObject({ grpcPort: 50051, opsPort: 9051, database: "create" });
    expect(plan.get("gateway")).toMatchObject({
      grpcPort: undefined,
      httpPort: 8080,
      opsPort: 9080,
      database: "none",
    });
    expect(plan.get("catalog")?.env).toEqual({
      TESSERA_MODE: "embedded",
      LOG_LEVEL: "info",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: "9051",
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "50051",
    });
    expect(plan.get("gateway")?.env).toEqual({
      TESSERA_MODE: "embedded",
      LOG_LEVEL: "info",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: "9080",
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: "8080",
      CATALOG_ADDR: "127.0.0.1:50051",
      CART_ADDR: "127.0.0.1:50052",
      ORDERS_ADDR: "127.0.0.1:50054",
      NOTIFICATIONS_ADDR: "127.0.0.1:50056",
    });
    expect([...plan.keys()].sort()).toEqual(
      ["cart", "catalog", "gateway", "identity", "inventory", "notifications", "orders", "payments"].sort(),
    );
    for (const name of ["identity", "catalog", "cart", "inventory", "orders", "payments", "notifications"]) {
      expect(plan.get(name)?.database).toBe("create");
    }
    expect(plan.get("orders")?.env).toMatchObject({
      CART_ADDR: "127.0.0.1:50052",
      INVENTORY_ADDR: "127.0.0.1:50053",
      PAYMENTS_ADDR: "127.0.0.1:50055",
    });
    expect(plan.get("identity")?.env).toEqual({
      TESSERA_MODE: "embedded",
      LOG_LEVEL: "info",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: "9050",
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "50050",
      IDENTITY_HOST: "127.0.0.1",
      IDENTITY_PORT: "8090",
    });
    expect(plan.get("inventory")?.env).toMatchObject({
      ORDERS_ADDR: "127.0.0.1:50054",
      CATALOG_ADDR: "127.0.0.1:50051",
    });
  });
});

describe("planServices", () => {
  it("adds TESSERA_PORT_OFFSET to gRPC, ops and HTTP ports and addresses, but never to the gateway's port", () => {
    const plan = byName({ portOffset: 1000, httpPorts: { GATEWAY_PORT: 18080 } });
    expect(plan.get("catalog")?.env).toMatchObject({ GRPC_PORT: "51051", OPS_PORT: "10051" });
    expect(plan.get("identity")).toMatchObject({ httpPort: 9090, env: { IDENTITY_PORT: "9090" } });
    expect(plan.get("gateway")?.env).toMatchObject({
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: "18080",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: "10080",
      CATALOG_ADDR: "127.0.0.1:51051",
    });
  });

  it("passes DATABASE_URL_<SERVICE> through unchanged and marks nothing to create", () => {
    const given = "postgres://me:pw@db.example:5432/catalog?sslmode=require";
    const catalog = byName({ databaseUrls: { catalog: given } }).get("catalog");
    expect(catalog?.database).toBe("given");
    expect(catalog?.env["DATABASE_URL"]).toBe(given);
  });

  it("takes LOG_LEVEL and a row's own variables", () => {
    const rows: ServiceDefinition[] = [
      {
        name: "orders",
        ports: PORTS.orders,
        database: true,
        calls: ["inventory", "payments"],
        env: { SAGA_TIMEOUT_MS: "5000" },
      },
    ];
    expect(byName({ logLevel: "debug" }, rows).get("orders")?.env).toEqual({
      TESSERA_MODE: "embedded",
      LOG_LEVEL: "debug",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: "9054",
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "50054",
      INVENTORY_ADDR: "127.0.0.1:50053",
      PAYMENTS_ADDR: "127.0.0.1:50055",
      SAGA_TIMEOUT_MS: "5000",
    });
  });

  it("refuses an offset that pushes a port past 65535", () => {
    expect(() => byName({ portOffset: 20_000 })).toThrow(/TESSERA_PORT_OFFSET/);
  });
});

describe("childEnvironment", () => {
  const parent = {
    PATH: "/usr/bin",
    LOG_LEVEL: "warn",
    TESSERA_PG_URL: "postgres://admin:secret@db/postgres",
    DATABASE_URL_CATALOG: "postgres://x",
    DATABASE_URL: "postgres://inherited",
    GRPC_HOST: "127.0.0.1",
    GRPC_PORT: "1",
    TESSERA_PORT_OFFSET: "5",
    UNSET: undefined,
  };

  it("inherits the runner's environment without its secrets, and adds the service's own", () => {
    const catalog = planServices(SERVICES, { ...defaults, logLevel: "warn" }).find(
      (service) => service.name === "catalog",
    );
    const env = childEnvironment(parent, catalog!, "postgres://catalog:pw@127.0.0.1:54329/tessera_catalog");
    expect(env).toEqual({
      PATH: "/usr/bin",
      LOG_LEVEL: "warn",
      TESSERA_MODE: "embedded",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: "9051",
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "50051",
      DATABASE_URL: "postgres://catalog:pw@127.0.0.1:54329/tessera_catalog",
    });
  });

  it("gives a service without a database or gRPC port neither variable", () => {
    const gateway = planServices(SERVICES, defaults).find((service) => service.name === "gateway")!;
    const env = childEnvironment(parent, gateway);
    expect(env["DATABASE_URL"]).toBeUndefined();
    expect(env["GRPC_PORT"]).toBeUndefined();
    expect(env["CATALOG_ADDR"]).toBe("127.0.0.1:50051");
  });
});
