import { startTestService, type StartedTestService } from "@tessera/kit/testing";
import { createCatalog } from "../wiring.ts";

/**
 * The catalog as main.ts wires it, started in this process on a fresh test database and a free
 * port, with `env` on top; `stop()` stops it and drops the database.
 */
export function startTestCatalog(env: Record<string, string> = {}) {
  return startTestService("catalog", (env) => createCatalog({ env }), env);
}

export type TestCatalog = StartedTestService<Awaited<ReturnType<typeof createCatalog>>>;
