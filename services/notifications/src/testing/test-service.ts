import { createTestDatabase } from "@tessera/kit/testing";
import { createNotifications } from "../wiring.ts";

/**
 * The notifications service as main.ts wires it, started in this process on a fresh test database
 * and a free port, with `env` on top (ORDERS_ADDR from the kit's startTestProducer, SMTP_URL…);
 * `stop()` stops it and drops the database.
 */
export async function startTestNotifications(env: Record<string, string> = {}) {
  const database = await createTestDatabase("notifications");
  const notifications = await createNotifications({
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
    await notifications.service.stop();
    await database.drop();
  };
  const { rpcPort } = await notifications.service.start().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { ...notifications, database, address: `127.0.0.1:${rpcPort}`, stop };
}

export type TestNotifications = Awaited<ReturnType<typeof startTestNotifications>>;
