import { readSystemPorts } from "@tessera/dev-runner/system-ports";
import { address, loadConfig, z } from "@tessera/kit";
import type { Addresses } from "./snapshot.ts";

export interface CheckerSettings {
  addresses: Addresses;
  stepTimeoutMs: number;
}

/**
 * What the checker reads from its environment. By default it checks the system the dev runner
 * started with the same `TESSERA_PORT_OFFSET`; `ORDERS_ADDR`, `INVENTORY_ADDR` and `PAYMENTS_ADDR`
 * point it anywhere else (a cluster, a port-forward). A bad value throws a ConfigError naming it.
 */
export function readCheckerSettings(env: Readonly<Record<string, string | undefined>>): CheckerSettings {
  const ports = readSystemPorts(env);
  const config = loadConfig(
    z.object({
      ORDERS_ADDR: address(ports.grpcAddress("orders")),
      INVENTORY_ADDR: address(ports.grpcAddress("inventory")),
      PAYMENTS_ADDR: address(ports.grpcAddress("payments")),
      ORDERS_STEP_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
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
  };
}
