// The test set-up: an in-process "orders" producer and a notifications service wired as main.ts
// does, each on its own fresh database.
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { NotificationsService } from "@tessera/contracts/notifications/v1";
import { createService, RpcServiceConfig, z, type EventEnvelope, type Service } from "@tessera/kit";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotificationsConfig } from "../config.ts";
import { startMailer, type Mailer } from "../mailer.ts";
import { NotificationStore } from "../notification-store.ts";
import { Notifications } from "../notifications.ts";
import { orderOutcomeEvents, recordOrderOutcome } from "../order-outcomes.ts";
import { notificationsHandlers } from "../rpc.ts";

const quiet = { GRPC_HOST: "127.0.0.1", GRPC_PORT: "0", OPS_HOST: "127.0.0.1", LOG_LEVEL: "silent" };

export interface OrdersProducer {
  address: string;
  /** Publishes an event (subject: the order id) and returns its envelope. */
  publish<D extends DescMessage>(
    schema: D,
    data: MessageInitShape<D>,
    subject: string,
  ): Promise<EventEnvelope>;
  stop(): Promise<void>;
}

/** A service named "orders" with the kit's outbox: what notifications streams events from. */
export async function startOrdersProducer(): Promise<OrdersProducer> {
  const database = await createTestDatabase("notifications_orders");
  // The producer needs only the kit's tables (outbox), so its own migrations directory is empty.
  const migrations = await mkdtemp(join(tmpdir(), "orders-migrations-"));
  const cleanUp = async () => {
    await database.drop();
    await rm(migrations, { recursive: true, force: true });
  };
  const service = await createService({
    name: "orders",
    config: RpcServiceConfig.extend({ DATABASE_URL: z.string() }),
    migrations,
    env: { ...quiet, DATABASE_URL: database.url },
  });
  const { rpcPort } = await service.start().catch(async (error: unknown) => {
    await service.stop();
    await cleanUp();
    throw error;
  });
  return {
    address: `127.0.0.1:${rpcPort}`,
    publish(schema, data, subject) {
      return service.db.tx((tx) => service.publish(tx, schema, data, { subject }));
    },
    async stop() {
      await service.stop();
      await cleanUp();
    },
  };
}

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
    migrations: new URL("../../migrations", import.meta.url),
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
