import { afterEach } from "vitest";
import type { FastifyInstance } from "fastify";
import { createLogger, createMetrics, loadConfig, type Metrics } from "@tessera/kit";
import { buildApp } from "../app.ts";
import { GatewayConfig } from "../config.ts";
import type { ProductCache } from "../product-cache.ts";
import type { CatalogClient } from "../routes/products.ts";
import { createFakeCart } from "./fake-cart.ts";
import { createFakeCatalog } from "./fake-catalog.ts";
import { createFakeNotifications } from "./fake-notifications.ts";
import { createFakeOrders } from "./fake-orders.ts";
import { useTestIssuer, type TestIssuer } from "./test-issuer.ts";

export interface TestApp {
  app: FastifyInstance;
  /** The catalog's fake. */
  fake: ReturnType<typeof createFakeCatalog>;
  cart: ReturnType<typeof createFakeCart>;
  orders: ReturnType<typeof createFakeOrders>;
  notifications: ReturnType<typeof createFakeNotifications>;
  metrics: Metrics;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  /** The issuer whose tokens the app accepts. */
  issuer: TestIssuer;
  /** The `Authorization` header of `userId` with `roles` (`["customer"]` by default). */
  bearer(userId: string, roles?: string[]): Promise<{ authorization: string }>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  catalog?: CatalogClient;
  productCache?: ProductCache;
}

/**
 * The gateway app on fakes of the services it calls (or the real `catalog` given), accepting the
 * tokens of `issuer`, with its logs captured. The fake orders service snapshots the fake cart, as
 * the real one reads the cart.
 */
export async function buildTestApp({
  env = {},
  catalog,
  productCache,
  issuer,
}: TestAppOptions & { issuer: TestIssuer }): Promise<TestApp> {
  const fake = createFakeCatalog();
  const cart = createFakeCart();
  const orders = createFakeOrders(cart);
  const notifications = createFakeNotifications();
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({
    service: "gateway",
    level: "debug",
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const metrics = createMetrics("gateway");
  const config = loadConfig(GatewayConfig, { ...issuer.env, ...env });
  const app = await buildApp({
    catalog: catalog ?? fake.client,
    cart: cart.client,
    orders: orders.client,
    notifications: notifications.client,
    productCache,
    log,
    metrics,
    config,
  });
  const bearer = (userId: string, roles?: string[]) => issuer.bearer(userId, roles);
  return { app, fake, cart, orders, notifications, metrics, logs, issuer, bearer };
}

/**
 * For a test file whose tests each build their own app: returns `start`, and closes the app a test
 * started once it ends; one test issuer serves the file's apps. Call it at the top level of the file.
 */
export function appPerTest(): (options?: TestAppOptions) => Promise<TestApp> {
  const issuer = useTestIssuer();
  let current: TestApp | undefined;
  afterEach(async () => {
    await current?.app.close();
    current = undefined;
  });
  return async (options) => (current = await buildTestApp({ ...options, issuer }));
}
