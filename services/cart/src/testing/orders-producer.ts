import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { createService, RpcServiceConfig, z, type EventEnvelope } from "@tessera/kit";
import { createTestDatabase } from "@tessera/kit/testing";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OrdersProducer {
  address: string;
  /** Publishes an event through the outbox (subject: the order id) and returns its envelope. */
  publish<D extends DescMessage>(
    schema: D,
    data: MessageInitShape<D>,
    subject: string,
  ): Promise<EventEnvelope>;
  stop(): Promise<void>;
}

/** A service named "orders" with the kit's outbox, in this process: where the cart streams OrderPlaced from. */
export async function startOrdersProducer(): Promise<OrdersProducer> {
  const database = await createTestDatabase("cart_orders");
  // It needs only the kit's tables (the outbox), so its own migrations directory is empty.
  const migrations = await mkdtemp(join(tmpdir(), "cart-orders-migrations-"));
  const cleanUp = async () => {
    await database.drop();
    await rm(migrations, { recursive: true, force: true });
  };
  const service = await createService({
    name: "orders",
    config: RpcServiceConfig.extend({ DATABASE_URL: z.string() }),
    migrations,
    env: {
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: database.url,
    },
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
