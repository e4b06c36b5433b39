import { createTestDatabase } from "@tessera/kit/testing";
import { createNotifications } from "../wiring.ts";

/**
 * The notifications service as main.ts wires it, started in this process on a fresh test database
 * and a free port, with `env` on top (ORDERS_ADDR from the kit's startTestProducer, SMTP_URL…);
 * `stop()` stops it and drops the database.
 */
export async function startTestNotifications(env: Record<string, string> = {}) {
  const database = await createTestDatabase("notifications");
  try {
    const notifications = await createNotifications({
      env: {
        DATABASE_URL: database.url,
        GRPC_HOST: "127.0.0.1",
        GRPC_PORT: "0",
        OPS_HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        ...env,
      },
    });
    const { rpcPort } = await notifications.service.start().catch(async (error: unknown) => {
      await notifications.service.stop();
      throw error;
    });
    return {
      ...notifications,
      database,
      address: `127.0.0.1:${rpcPort}`,
      async stop() {
        await notifications.service.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

export type TestNotifications = Awaited<ReturnType<typeof startTestNotifications>>;
