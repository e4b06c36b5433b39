import { startTestService, type StartedTestService } from "@tessera/kit/testing";
import { createNotifications } from "../wiring.ts";

/**
 * The notifications service as main.ts wires it, started in this process on a fresh test database
 * and a free port, with `env` on top (ORDERS_ADDR from the kit's startTestProducer, SMTP_URL…);
 * `stop()` stops it and drops the database.
 */
export function startTestNotifications(env: Record<string, string> = {}) {
  return startTestService("notifications", (env) => createNotifications({ env }), env);
}

export type TestNotifications = StartedTestService<Awaited<ReturnType<typeof createNotifications>>>;
