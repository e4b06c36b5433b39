import { EventsService } from "@tessera/contracts/events/v1";
import { EchoedSchema } from "@tessera/contracts/testing/v1";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { startNatsServer, type NatsServer } from "../nats-server.ts";
import { createService, type Service } from "../service.ts";
import { RpcServiceConfig } from "../service-config.ts";
import { testCallers, testClient, testIssuer } from "../test-issuer.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { waitFor } from "../wait-for.ts";

// A NATS server of this test's own, killed and brought back with an empty store: a broker that
// lost its volume. Never the shared one on 4222.
describe("the NATS transport when the broker loses its store", { timeout: 180_000 }, () => {
  let nats: NatsServer;
  let databases: TestDatabase[];
  let producer: Service<unknown>;
  let consumer: Service<unknown>;
  let ops: { producer: number; consumer: number };
  let producerAddress: string;
  const received = new Set<string>();

  let issuerEnv: Record<string, string>;
  const env = (database: TestDatabase) => ({
    ...issuerEnv,
    GRPC_HOST: "127.0.0.1",
    OPS_HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    DATABASE_URL: database.url,
    EVENTS_TRANSPORT: "nats",
    NATS_URL: nats.url,
    EVENTS_PREFIX: "restart",
    EVENTS_ACK_WAIT_MS: "2000",
    EVENTS_UNHEALTHY_AFTER_MS: "1000",
  });

  beforeEach(async () => {
    received.clear();
    issuerEnv = (await testIssuer()).env;
    nats = await startNatsServer();
    databases = await Promise.all([createTestDatabase("nats_producer"), createTestDatabase("nats_consumer")]);
    producer = await createService({
      name: "testing",
      config: RpcServiceConfig,
      database: {},
      env: env(databases[0]!),
    });
    const started = await producer.start();
    producerAddress = `127.0.0.1:${started.rpcPort}`;
    ops = { producer: started.opsPort, consumer: await startConsumer() };
  });

  /** The consumer service on its database, recording what it applies; returns its ops port. */
  async function startConsumer(): Promise<number> {
    consumer = await createService({
      name: "restart-consumer",
      config: RpcServiceConfig,
      database: {},
      env: env(databases[1]!),
    });
    consumer.subscribe("echoes", [EchoedSchema], ({ envelope }) => {
      received.add(envelope.id);
      return Promise.resolve();
    });
    return (await consumer.start()).opsPort;
  }

  afterEach(async () => {
    await consumer?.stop();
    await producer?.stop();
    await nats?.stop();
    for (const database of databases ?? []) await database.drop();
  });

  const publish = async (count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 10) {
      await producer.db.tx(async (tx) => {
        for (let j = i; j < Math.min(count, i + 10); j++) {
          const subject = `s-${j % 5}`;
          ids.push(
            (await producer.publish(tx, EchoedSchema, { subject, sequence: BigInt(j) }, { subject })).id,
          );
        }
      });
    }
    return ids;
  };
  const allReceived = (ids: string[], timeoutMs = 60_000) =>
    waitFor(`${ids.length} events`, () => Promise.resolve(ids.every((id) => received.has(id))), timeoutMs);
  const readiness = async (port: number) => {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: response.status, body: (await response.json()) as { checks?: Record<string, boolean> } };
  };

  it("declares its stream and durable consumer again when the broker comes back empty, and delivers every event published afterwards", async () => {
    await allReceived(await publish(50));
    await nats.restart({ emptyStore: true });
    const afterwards = await publish(200);
    await allReceived(afterwards);
    expect(afterwards.every((id) => received.has(id))).toBe(true);
  });

  it("sends again what the lost stream held, so a consumer that was down when the broker lost it gets every event", async () => {
    await allReceived(await publish(5));
    await consumer.stop();
    // Delivered to the stream, never consumed: then the broker loses its store.
    const unconsumed = await publish(20);
    const status = async () => {
      const admin = testClient(EventsService, producerAddress, testCallers.operator);
      try {
        return await admin.getOutboxStatus({});
      } finally {
        admin.close();
      }
    };
    await waitFor("the relay to deliver them", async () => (await status()).undelivered === 0n);
    await nats.restart({ emptyStore: true });
    await startConsumer();
    const afterwards = await publish(5);
    await allReceived([...unconsumed, ...afterwards]);
  });

  it("shows on /readyz and in its metrics that events cannot leave while the broker is down, and recovers", async () => {
    await allReceived(await publish(5));
    await nats.kill();
    const stuck = await publish(5);
    for (const [name, port] of Object.entries(ops)) {
      const { body } = await waitFor(
        `${name} to report itself unready`,
        async () => {
          const result = await readiness(port);
          return result.status === 503 ? result : undefined;
        },
        60_000,
      );
      expect(body.checks).toMatchObject({ database: true, events: false });
    }
    const metrics = await (await fetch(`http://127.0.0.1:${ops.producer}/metrics`)).text();
    expect(metrics).toMatch(/^event_transport_ready\{[^}]*\} 0$/m);
    expect(metrics).toMatch(/^event_transport_failing_seconds\{component="connection"[^}]*\} [1-9]/m);
    const admin = testClient(EventsService, producerAddress, testCallers.operator);
    try {
      const status = await admin.getOutboxStatus({});
      expect(status).toMatchObject({ transport: "nats", undelivered: 5n });
      expect(status.problems.map((problem) => problem.component)).toContain("connection");
    } finally {
      admin.close();
    }

    await nats.restart({ emptyStore: true });
    await allReceived(stuck);
    for (const [name, port] of Object.entries(ops)) {
      await waitFor(`${name} to be ready again`, async () => (await readiness(port)).status === 200, 60_000);
    }
  });
});
