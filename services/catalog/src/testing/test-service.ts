import { createTestDatabase } from "@tessera/kit/testing";
import { createCatalog } from "../wiring.ts";

/**
 * The catalog as main.ts wires it, started in this process on a fresh test database and a free
 * port, with `env` on top; `stop()` stops it and drops the database.
 */
export async function startTestCatalog(env: Record<string, string> = {}) {
  const database = await createTestDatabase("catalog");
  const catalog = await createCatalog({
    env: {
      DATABASE_URL: database.url,
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      ...env,
    },
  }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  const stop = async () => {
    await catalog.service.stop();
    await database.drop();
  };
  const { rpcPort } = await catalog.service.start().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { ...catalog, database, address: `127.0.0.1:${rpcPort}`, stop };
}

export type TestCatalog = Awaited<ReturnType<typeof startTestCatalog>>;
