import { InventoryService } from "@tessera/contracts/inventory/v1";
import { startSystem, type RunningSystem } from "@tessera/dev-runner";
import { toolCredentials } from "@tessera/dev-runner/credentials";
import { findFreeSystemPorts } from "@tessera/dev-runner/system-ports";
import { createClient, listAll, type TokenSource } from "@tessera/kit";
import { waitFor } from "@tessera/kit/testing";
import { rm } from "node:fs/promises";
import { gatewayClient, gatewayEvents } from "./api.ts";
import { unthrottled } from "./system-probes.ts";
import { createTempDir } from "./temp-dir.ts";

export interface SeededProduct {
  id: string;
  sku: string;
  price: { amountMinor: number; currencyCode: string };
}

export interface TestSystem {
  system: RunningSystem;
  /** The gateway, as JSON over HTTP. */
  api: ReturnType<typeof gatewayClient>;
  /** The gateway's Server-Sent Events streams. */
  events: ReturnType<typeof gatewayEvents>;
  /** `host:port` of a service's gRPC server. */
  address: (service: string) => string;
  /** An operator's token source (roles service and admin) for admin RPCs and the checker. */
  credentials: TokenSource;
  /** The seeded catalog, every product stocked by inventory. */
  products: SeededProduct[];
  /** What the runner printed. */
  output: string[];
  /** Where the embedded PostgreSQL keeps its data (`<dataDir>/postgres`). */
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * The whole system through the dev runner, as `npm start` runs it, isolated on free ports and its
 * own data folder, for a system test: started within 120 s, and ready to sell (inventory has seeded
 * stock from catalog's ProductChanged events for every product).
 */
export async function startTestSystem({
  name,
  env,
  logLevel = "warn",
}: {
  /** Names the data folder. */
  name: string;
  /** The services' environment (the runner adds its own). */
  env: NodeJS.ProcessEnv;
  logLevel?: string;
}): Promise<TestSystem> {
  const dataDir = await createTempDir(`tessera-${name}-`);
  const output: string[] = [];
  const cancel = new AbortController();
  const startup = setTimeout(() => cancel.abort(new Error("startup took over 120 s")), 120_000);
  let system: RunningSystem;
  try {
    system = await startSystem({
      dataDir,
      ...(await findFreeSystemPorts()),
      output: { write: (text: string) => output.push(text) },
      env: { ...unthrottled, ...env },
      logLevel,
      signal: cancel.signal,
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    clearTimeout(startup);
  }
  const address = (service: string) => {
    const status = system.statuses.get(service);
    if (!status?.port) throw new Error(`${service} has no port`);
    return `127.0.0.1:${status.port}`;
  };
  const api = gatewayClient(system.gatewayUrl);
  const products = (await api<{ products: SeededProduct[] }>("GET", "/api/v1/products?page_size=100")).body
    .products;
  // The operator's credential (the runner's `tessera-checker` client): admin reads and the checker.
  const credentials = await toolCredentials(system.gatewayUrl, dataDir, "tessera-checker");
  const inventory = createClient(InventoryService, address("inventory"), { credentials });
  try {
    await waitFor(
      "inventory to seed stock for every product",
      async () =>
        (
          await listAll(
            (page) => inventory.listStock(page),
            (response) => response.stock,
          )
        ).length >= products.length,
      60_000,
    );
  } finally {
    inventory.close();
  }
  return {
    system,
    api,
    events: gatewayEvents(system.gatewayUrl),
    address,
    credentials,
    products,
    output,
    dataDir,
    async stop() {
      await system.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
