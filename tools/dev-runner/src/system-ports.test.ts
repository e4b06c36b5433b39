import { ConfigError } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { findBusyPorts } from "./ports.ts";
import { planServices } from "./service-plan.ts";
import { SERVICES } from "./services.ts";
import { findFreeSystemPorts, readSystemPorts, systemPorts } from "./system-ports.ts";

describe("systemPorts", () => {
  it("moves every gRPC, ops and PostgreSQL port by the offset, and never the gateway's", () => {
    const ports = systemPorts({ offset: 3000, gatewayPort: 18080 });
    expect(ports.grpcAddress("orders")).toBe("127.0.0.1:53054");
    expect(ports.grpc("catalog")).toBe(53051);
    expect(ports.ops("gateway")).toBe(12080);
    expect(ports.postgres()).toBe(57329);
    expect(ports.gatewayUrl).toBe("http://127.0.0.1:18080/");
    expect(ports.all()).toContain(57329);
    expect(ports.all()).not.toContain(18080);
    // Identity's HTTP port is behind the gateway, so it moves with the others.
    expect(ports.identityUrl).toBe("http://127.0.0.1:11090");
    expect(ports.all()).toContain(11090);
    // orders#2's gRPC port: a free offset is free for two replicas too.
    expect(ports.all()).toContain(53154);
  });

  it("reads TESSERA_PORT_OFFSET and GATEWAY_PORT as the runner does", () => {
    const ports = readSystemPorts({ TESSERA_PORT_OFFSET: "3000", GATEWAY_PORT: "18080" });
    expect(ports.grpcAddress("payments")).toBe("127.0.0.1:53055");
    expect(ports.gatewayUrl).toBe("http://127.0.0.1:18080/");
    expect(readSystemPorts({}).grpcAddress("payments")).toBe("127.0.0.1:50055");
  });

  it("names TESSERA_PORT_OFFSET when it is not a usable offset", () => {
    for (const bad of ["-1", "abc", "10001"]) {
      const error: unknown = (() => {
        try {
          return readSystemPorts({ TESSERA_PORT_OFFSET: bad });
        } catch (thrown) {
          return thrown;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variables).toEqual(["TESSERA_PORT_OFFSET"]);
    }
  });

  it("gives the runner's services the same addresses the tools compute", () => {
    const plan = planServices(SERVICES, {
      portOffset: 3000,
      httpPorts: { GATEWAY_PORT: 8080 },
      databaseUrls: {},
      logLevel: "info",
    });
    const ports = systemPorts({ offset: 3000 });
    const orders = plan.find((service) => service.name === "orders")!;
    expect(orders.grpcPort).toBe(ports.grpc("orders"));
    expect(orders.env["PAYMENTS_ADDR"]).toBe(ports.grpcAddress("payments"));
  });

  it("finds a gateway port and an offset whose ports are all free, the gateway's not among them", async () => {
    const { gatewayPort, portOffset } = await findFreeSystemPorts();
    expect(portOffset).toBeGreaterThanOrEqual(1_000);
    expect(portOffset).toBeLessThanOrEqual(10_000);
    const ports = systemPorts({ offset: portOffset }).all();
    expect(ports).not.toContain(gatewayPort);
    const claims = [...ports, gatewayPort].map((port) => ({ port, host: "0.0.0.0", label: String(port) }));
    expect(await findBusyPorts(claims)).toEqual([]);
  });
});
