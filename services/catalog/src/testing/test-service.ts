import { CatalogService } from "@tessera/contracts/catalog/v1";
import { startTestService, testCallers, testClient, type StartedTestService } from "@tessera/kit/testing";
import { createCatalog } from "../wiring.ts";

/**
 * The catalog as main.ts wires it, started in this process on a fresh test database and a free
 * port, with `env` on top; `stop()` stops it and drops the database.
 */
export function startTestCatalog(env: Record<string, string> = {}) {
  return startTestService("catalog", (env) => createCatalog({ env }), env);
}

export type TestCatalog = StartedTestService<Awaited<ReturnType<typeof createCatalog>>>;

/**
 * A test catalog and a client of it acting as an administrator (who browses as anyone does, and may
 * create products and set prices); close the client and stop the catalog when done.
 */
export async function startAdminCatalog(env: Record<string, string> = {}) {
  const app = await startTestCatalog(env);
  return { app, catalog: testClient(CatalogService, app.address, testCallers.admin("catalog-admin")) };
}
