import type { FastifyInstance } from "fastify";
import { createLogger, createMetrics, loadConfig, type Metrics } from "@tessera/kit";
import { buildApp } from "../app.ts";
import { GatewayConfig } from "../config.ts";
import type { CatalogClient } from "../routes/products.ts";
import { createFakeCatalog } from "./fake-catalog.ts";

export interface TestApp {
  app: FastifyInstance;
  fake: ReturnType<typeof createFakeCatalog>;
  metrics: Metrics;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
}

/** The gateway app on a fake catalog (or the `catalog` given), with its logs captured. */
export async function buildTestApp({
  env = {},
  catalog,
}: { env?: Record<string, string>; catalog?: CatalogClient } = {}): Promise<TestApp> {
  const fake = createFakeCatalog();
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({
    service: "gateway",
    level: "debug",
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const metrics = createMetrics("gateway");
  const config = loadConfig(GatewayConfig, env);
  const app = await buildApp({ catalog: catalog ?? fake.client, log, metrics, config });
  return { app, fake, metrics, logs };
}
