import { createTestDatabase } from "@tessera/kit/testing";
import { createCart } from "../wiring.ts";

/**
 * The cart as main.ts wires it, started in this process on a fresh test database and a free port,
 * with `env` on top (CATALOG_ADDR, ORDERS_ADDR…); `stop()` stops it and drops the database.
 */
export async function startTestCart(env: Record<string, string> = {}) {
  const database = await createTestDatabase("cart");
  const cart = await createCart({
    env: {
      DATABASE_URL: database.url,
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      EVENTS_RETRY_BASE_MS: "5",
      ...env,
    },
  }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  const stop = async () => {
    await cart.service.stop();
    await database.drop();
  };
  const { rpcPort } = await cart.service.start().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { ...cart, database, address: `127.0.0.1:${rpcPort}`, stop };
}

export type TestCart = Awaited<ReturnType<typeof startTestCart>>;
