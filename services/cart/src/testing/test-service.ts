import { startTestService, type StartedTestService } from "@tessera/kit/testing";
import { createCart } from "../wiring.ts";

/**
 * The cart as main.ts wires it, started in this process on a fresh test database and a free port,
 * with `env` on top (CATALOG_ADDR, ORDERS_ADDR…); `stop()` stops it and drops the database.
 */
export function startTestCart(env: Record<string, string> = {}) {
  return startTestService("cart", (env) => createCart({ env }), { EVENTS_RETRY_BASE_MS: "5", ...env });
}

export type TestCart = StartedTestService<Awaited<ReturnType<typeof createCart>>>;
