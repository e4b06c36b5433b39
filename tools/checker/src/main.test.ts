import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { EventsService } from "@tessera/contracts/events/v1";
import { InventoryService } from "@tessera/contracts/inventory/v1";
import { OrdersService, OrderStatus } from "@tessera/contracts/orders/v1";
import { PaymentsService } from "@tessera/contracts/payments/v1";
import { findFreePortOffset, systemPorts } from "@tessera/dev-runner/system-ports";
import {
  createLogger,
  createMetrics,
  createRpcServer,
  ServiceError,
  type RpcServer,
  type ServiceImpl,
} from "@tessera/kit";
import { testIssuer } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `npm run check:consistency` as a user runs it, against stand-ins for orders, inventory and
// payments listening where the dev runner puts them for a port offset: one rejected order, two SKUs
// on two pages, no payments — a consistent system the checker can only report on if it found it there.

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Handlers for the methods the checker calls; any other method fails loudly. */
function standIn<S>(handlers: Record<string, (request: unknown) => unknown>): ServiceImpl<S> {
  return new Proxy(handlers, {
    get: (target, method: string) =>
      target[method] ??
      (() => {
        throw new ServiceError("internal", `the stand-in does not serve ${method}`);
      }),
  }) as unknown as ServiceImpl<S>;
}

async function runChecker(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, output };
}

describe("npm run check:consistency", () => {
  const servers: RpcServer[] = [];
  let offset: number;

  beforeAll(async () => {
    offset = await findFreePortOffset();
    const ports = systemPorts({ offset });
    const log = createLogger({ service: "stand-in", level: "silent" });
    const serve = async <S extends Parameters<RpcServer["add"]>[0]>(
      definition: S,
      address: string,
      handlers: Record<string, (request: unknown) => unknown>,
    ) => {
      const server = createRpcServer({ log, metrics: createMetrics("stand-in") });
      server.add(definition, standIn(handlers));
      // Every saga service also says its outbox drains.
      server.add(
        EventsService,
        standIn({
          getOutboxStatus: () => ({ transport: "direct", undelivered: 0n, problems: [], consumers: [] }),
        }),
      );
      servers.push(server);
      await server.listen(address);
    };
    await serve(OrdersService, ports.grpcAddress("orders"), {
      listOrders: () => ({
        orders: [
          {
            id: "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d",
            status: OrderStatus.REJECTED,
            total: { currencyCode: "USD", amountMinor: 0n },
            updateTime: timestampNow(),
          },
        ],
        nextPageToken: "",
      }),
    });
    await serve(InventoryService, ports.grpcAddress("inventory"), {
      // Two pages: the checker must follow next_page_token to see every SKU.
      listStock: (request) => {
        const level = (sku: string) => ({ sku, onHand: 5n, reserved: 0n, available: 5n, received: 5n });
        return (request as { pageToken: string }).pageToken === ""
          ? { stock: [level("TENT-2P")], nextPageToken: "second-page" }
          : { stock: [level("MUG-1")], nextPageToken: "" };
      },
      listReservations: () => ({ reservations: [] }),
    });
    await serve(PaymentsService, ports.grpcAddress("payments"), {
      listPayments: () => ({ payments: [] }),
      getLedger: () => ({ sumOfEntries: { currencyCode: "USD", amountMinor: 0n }, journalEntries: 0n }),
    });
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close(1_000)));
  });

  it("checks the system on the ports of TESSERA_PORT_OFFSET", async () => {
    const issuer = await testIssuer();
    const { code, output } = await runChecker({
      TESSERA_PORT_OFFSET: String(offset),
      AUTH_ISSUER: issuer.issuer,
      AUTH_TOKEN_URL: issuer.tokenUrl,
      CHECKER_CLIENT_SECRET: issuer.env["AUTH_CLIENT_SECRET"] ?? "",
    });
    expect(output).toContain("orders: 1 (confirmed 0, rejected 1, cancelled 0, in flight 0)");
    expect(output).toContain("stock: 2 SKUs");
    expect(output).toContain("consistent: every invariant holds");
    expect(code).toBe(0);
  });

  it("stops with a message naming TESSERA_PORT_OFFSET when it is not a port offset", async () => {
    const { code, output } = await runChecker({ TESSERA_PORT_OFFSET: "many" });
    expect(output).toMatch(/TESSERA_PORT_OFFSET/);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
    expect(code).toBe(78);
  });
});
