import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CartService } from "@tessera/contracts/cart/v1";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { NotificationsService } from "@tessera/contracts/notifications/v1";
import { OrdersService } from "@tessera/contracts/orders/v1";
import { createLogger, createMetrics, loadConfig } from "@tessera/kit";
import { buildApp } from "./app.ts";
import { GatewayConfig } from "./config.ts";
import { createFakeClient } from "./testing/fake-client.ts";

/**
 * The committed copy of the OpenAPI document, so that a change to the public API shows up in review
 * as a change to one file. `openapi.test.ts` compares it with the live document.
 */
export const snapshotFile = fileURLToPath(new URL("../openapi.snapshot.json", import.meta.url));

/** What rewrites the snapshot from the routes (root package.json). */
export const regenerateCommand = "npm run openapi";

/** The document the gateway serves at `/api/openapi.json`; building it calls no service. */
export async function liveOpenApiDocument(): Promise<unknown> {
  const app = await buildApp({
    catalog: createFakeClient(CatalogService).client,
    cart: createFakeClient(CartService).client,
    orders: createFakeClient(OrdersService).client,
    notifications: createFakeClient(NotificationsService).client,
    log: createLogger({ service: "gateway", level: "silent" }),
    metrics: createMetrics("gateway"),
    config: loadConfig(GatewayConfig, {}),
  });
  try {
    return (await app.inject({ url: "/api/openapi.json" })).json();
  } finally {
    await app.close();
  }
}

/** `document` as the snapshot holds it: object keys sorted at every level, two-space indent. */
export function snapshotText(document: unknown): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

export async function readSnapshot(): Promise<unknown> {
  return JSON.parse(await readFile(snapshotFile, "utf8"));
}

export async function writeSnapshot(): Promise<void> {
  await writeFile(snapshotFile, snapshotText(await liveOpenApiDocument()));
}

/**
 * Where `live` differs from `snapshot`, the first `limit` places, each as its keys from the root
 * (`paths › /api/v1/cart › get › summary`): a hint that names the operation when a diff does not.
 */
export function differences(snapshot: unknown, live: unknown, limit = 10): string[] {
  const found: string[] = [];
  const visit = (a: unknown, b: unknown, keys: string[]) => {
    if (found.length >= limit) return;
    if (!isRecord(a) || !isRecord(b) || Array.isArray(a) !== Array.isArray(b)) {
      if (JSON.stringify(a) !== JSON.stringify(b)) found.push(keys.join(" › ") || "the whole document");
      return;
    }
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) visit(a[key], b[key], [...keys, key]);
  };
  visit(snapshot, live, []);
  return found;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, child]) => [key, sortKeys(child)]));
}
