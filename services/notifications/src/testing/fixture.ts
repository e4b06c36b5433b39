// The test set-up: a notifications service wired as main.ts does, on a fresh database (the
// "orders" producer it consumes from is the kit's startTestProducer).
import { NotificationsService } from "@tessera/contracts/notifications/v1";
import { createService, type Service } from "@tessera/kit";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { NotificationsConfig } from "../config.ts";
import { startMailer, type Mailer } from "../mailer.ts";
import { NotificationStore } from "../notification-store.ts";
import { Notifications } from "../notifications.ts";
import { orderOutcomeEvents, recordOrderOutcome } from "../order-outcomes.ts";
import { notificationsHandlers } from "../rpc.ts";

const quiet = { GRPC_HOST: "127.0.0.1", GRPC_PORT: "0", OPS_HOST: "127.0.0.1", LOG_LEVEL: "silent" };

export interface NotificationsUnderTest {
  service: Service<NotificationsConfig>;
  store: NotificationStore;
  mailer: Mailer | undefined;
  rpcAddress: string;
  stop(): Promise<void>;
}

/** The notifications service as main.ts wires it, with `env` on top of a fresh test database. */
export async function startNotifications(env: Record<string, string>): Promise<NotificationsUnderTest> {
  const database: TestDatabase = await createTestDatabase("notifications");
  const service = await createService({
    name: "notifications",
    config: NotificationsConfig,
    database: { migrations: new URL("../../migrations", import.meta.url) },
    producers: { orders: (config) => config.ORDERS_ADDR },
    env: { ...quiet, DATABASE_URL: database.url, ...env },
  });
  const store = new NotificationStore(service.db);
  service.serve(NotificationsService, notificationsHandlers(new Notifications(store)));
  service.subscribe("order-outcomes", orderOutcomeEvents, recordOrderOutcome(store, service.log));
  const { rpcPort } = await service.start().catch(async (error: unknown) => {
    await service.stop();
    await database.drop();
    throw error;
  });
  const mailer = startMailer(service, store);
  return {
    service,
    store,
    mailer,
    rpcAddress: `127.0.0.1:${rpcPort}`,
    async stop() {
      await service.stop();
      await database.drop();
    },
  };
}
