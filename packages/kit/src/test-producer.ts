import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import type { EventEnvelope } from "./events/envelope.ts";
import { createService, type Service } from "./service.ts";
import { RpcServiceConfig } from "./service-config.ts";
import { testIssuer } from "./test-issuer.ts";
import { createTestDatabase } from "./testing.ts";

export interface TestProducer {
  service: Service<unknown>;
  /** Where consumers stream its events from (the direct transport). */
  address: string;
  /** Publishes an event through its outbox and returns the envelope. */
  publish<D extends DescMessage>(
    schema: D,
    data: MessageInitShape<D>,
    subject: string,
  ): Promise<EventEnvelope>;
  stop(): Promise<void>;
}

/**
 * A stand-in for another service in this process, named `name` on a fresh database: only its
 * outbox, streamed to consumers over gRPC — for testing a consumer without the real producer. Its
 * streams need a service token of the shared test issuer, as `startTestService`'s consumers have.
 *
 * @example
 *   const orders = await startTestProducer("orders");
 *   await orders.publish(OrderPlacedSchema, { orderId, userId }, orderId);
 */
export async function startTestProducer(name: string): Promise<TestProducer> {
  const database = await createTestDatabase(`${name}_producer`);
  const service = await createService({
    name,
    config: RpcServiceConfig,
    database: {},
    env: {
      ...(await testIssuer()).env,
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: database.url,
    },
  });
  const stop = async () => {
    await service.stop();
    await database.drop();
  };
  const { rpcPort } = await service.start().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return {
    service,
    address: `127.0.0.1:${rpcPort}`,
    publish: (schema, data, subject) => service.db.tx((tx) => service.publish(tx, schema, data, { subject })),
    stop,
  };
}
