import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readSystemPorts } from "@tessera/dev-runner/system-ports";
import { address, loadConfig, z } from "@tessera/kit";
import type { Addresses } from "./snapshot.ts";

export interface CheckerSettings {
  addresses: Addresses;
  stepTimeoutMs: number;
  /** Where the checker gets its `tessera-checker` token: the system's issuer and token endpoint. */
  issuer: string;
  tokenUrl: string;
  /** The client's secret: given, or read from the runner's data directory. */
  clientSecret: string | undefined;
  dataDir: string;
}

/**
 * What the checker reads from its environment. By default it checks the system the dev runner
 * started with the same `TESSERA_PORT_OFFSET`; `ORDERS_ADDR`, `INVENTORY_ADDR` and `PAYMENTS_ADDR`
 * point it anywhere else (a cluster, a port-forward). Its reads are administrative: it signs in as
 * the `tessera-checker` client with the secret the runner keeps in TESSERA_DATA_DIR (`.data`).
 * A bad value throws a ConfigError naming it.
 */
export function readCheckerSettings(env: Readonly<Record<string, string | undefined>>): CheckerSettings {
  const ports = readSystemPorts(env);
  const config = loadConfig(
    z.object({
      ORDERS_ADDR: address(ports.grpcAddress("orders")),
      INVENTORY_ADDR: address(ports.grpcAddress("inventory")),
      PAYMENTS_ADDR: address(ports.grpcAddress("payments")),
      ORDERS_STEP_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
      /** The issuer of the system's tokens and its token endpoint (the gateway's `/oidc` by default). */
      AUTH_ISSUER: z.url().default(new URL("/oidc", ports.gatewayUrl).href),
      AUTH_TOKEN_URL: z.url().optional(),
      /** The `tessera-checker` client's secret; by default the one the runner keeps in TESSERA_DATA_DIR. */
      CHECKER_CLIENT_SECRET: z.string().min(1).optional(),
      /** The data directory of the runner that started the system (as `npm start` reads it). */
      TESSERA_DATA_DIR: z
        .string()
        .min(1)
        .default(fileURLToPath(new URL("../../../.data", import.meta.url))),
    }),
    env,
  );
  return {
    addresses: {
      orders: config.ORDERS_ADDR,
      inventory: config.INVENTORY_ADDR,
      payments: config.PAYMENTS_ADDR,
    },
    stepTimeoutMs: config.ORDERS_STEP_TIMEOUT_MS,
    issuer: config.AUTH_ISSUER,
    tokenUrl: config.AUTH_TOKEN_URL ?? `${config.AUTH_ISSUER}/token`,
    clientSecret: config.CHECKER_CLIENT_SECRET,
    dataDir: resolve(config.TESSERA_DATA_DIR),
  };
}
