import { EchoedSchema } from "@tessera/contracts/testing/v1";
import { EventsService } from "@tessera/contracts/events/v1";
import type { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "../config.ts";
import { createService, type Service } from "../service.ts";
import { RpcServiceConfig } from "../service-config.ts";
import { testCallers, testClient, testIssuer } from "../test-issuer.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { waitFor } from "../wait-for.ts";

// The direct transport with a retention short enough to prune everything within a test.
const retentionMs = 300;
const env = { GRPC_HOST: "127.0.0.1", OPS_HOST: "127.0.0.1", LOG_LEVEL: "silent" };
const issuerEnv = async () => (await testIssuer()).env;

/** A metric's value on a service's registry, 0 when the series does not exist (yet). */
async function metric(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const found = registry.getSingleMetric(name);
  if (!found) return 0;
  const { values } = await found.get();
  const value = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

describe("the direct transport's outbox retention", { timeout: 120_000 }, () => {
  let producerDatabase: TestDatabase;
  let producer: Service<unknown>;
  let producerAddress: string;
  const consumers: { service: Service<unknown>; database: TestDatabase }[] = [];
  /** Positions of the events each consumer database applied, in order. */
  const received = new Map<string, bigint[]>();

  const outboxRows = async () =>
    Number((await producer.db.query<{ n: bigint }>("SELECT count(*) AS n FROM outbox")).rows[0]?.n);
  const publish = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await producer.db.tx((tx) =>
        producer.publish(tx, EchoedSchema, { subject: "s", sequence: BigInt(i + 1) }, { subject: "s" }),
      );
    }
  };

  /** A consumer service on `database` (new when omitted), subscribed to Echoed. */
  async function startConsumer(database?: TestDatabase) {
    const own = database ?? (await createTestDatabase("retention_consumer"));
    const service = await createService({
      name: "retention-consumer",
      config: RpcServiceConfig.extend({ TESTING_ADDR: z.string() }),
      producers: { testing: (config) => config.TESTING_ADDR },
      database: {},
      env: { ...(await issuerEnv()), ...env, DATABASE_URL: own.url, TESTING_ADDR: producerAddress },
    });
    const positions = received.get(own.name) ?? [];
    received.set(own.name, positions);
    service.subscribe("echoes", [EchoedSchema], ({ envelope }) => {
      positions.push(envelope.position);
      return Promise.resolve();
    });
    await service.start();
    const entry = { service, database: own };
    consumers.push(entry);
    return entry;
  }
  const receivedBy = (database: TestDatabase) => received.get(database.name) ?? [];

  beforeEach(async () => {
    producerDatabase = await createTestDatabase("retention_producer");
    producer = await createService({
      name: "testing",
      config: RpcServiceConfig,
      database: {},
      env: {
        ...(await issuerEnv()),
        ...env,
        DATABASE_URL: producerDatabase.url,
        EVENTS_OUTBOX_RETENTION_MS: String(retentionMs),
      },
    });
    producerAddress = `127.0.0.1:${(await producer.start()).rpcPort}`;
  });
  afterEach(async () => {
    for (const { service, database } of consumers.splice(0)) {
      await service.stop();
      await database.drop();
    }
    await producer.stop();
    await producerDatabase.drop();
  });

  it("numbers events after the last position even when pruning removed every row, so a consumer receives them all", async () => {
    const { database } = await startConsumer();
    await publish(5);
    await waitFor("the first 5 events", () => Promise.resolve(receivedBy(database).length === 5), 30_000);
    // The consumer acknowledges them, then the retention runs out and pruning empties the outbox.
    await waitFor("pruning to empty the outbox", async () => (await outboxRows()) === 0, 30_000);
    await publish(5);
    await waitFor("the next 5 events", () => Promise.resolve(receivedBy(database).length === 10), 30_000);
    const positions = receivedBy(database);
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(positions).size).toBe(10);
  });

  it("keeps what a known consumer has not acknowledged past the retention, says so, and delivers it when the consumer returns", async () => {
    const first = await startConsumer();
    await publish(3);
    await waitFor(
      "the first 3 events",
      () => Promise.resolve(receivedBy(first.database).length === 3),
      30_000,
    );
    await waitFor(
      "the consumer to acknowledge them",
      async () => {
        const { rows } = await producer.db.query<{ acknowledged: bigint }>(
          "SELECT acknowledged FROM outbox_consumers",
        );
        return rows[0]?.acknowledged === receivedBy(first.database).at(-1);
      },
      30_000,
    );
    await first.service.stop();
    consumers.splice(consumers.indexOf(first), 1);

    await publish(4);
    const consumer = { consumer: "retention-consumer/echoes" };
    await waitFor(
      "the producer to report the consumer behind the retention",
      async () => (await metric(producer.metrics.registry, "outbox_retained_for_consumer", consumer)) === 4,
      30_000,
    );
    // Pruning ran with the rows past the retention, and kept the unacknowledged ones.
    expect(await outboxRows()).toBe(4);

    const back = await startConsumer(first.database);
    await waitFor("the 4 kept events", () => Promise.resolve(receivedBy(back.database).length === 7), 30_000);
    await waitFor(
      "the consumer to catch up with the retention",
      async () => (await metric(producer.metrics.registry, "outbox_retained_for_consumer", consumer)) === 0,
      30_000,
    );
  });

  it("tells a consumer that asks for events that were already pruned that it missed them", async () => {
    await publish(3);
    await waitFor("pruning with no consumer known", async () => (await outboxRows()) === 0, 30_000);
    const late = await startConsumer();
    const labels = { consumer: "echoes", producer: "testing" };
    await waitFor(
      "the consumer to count the gap",
      async () => (await metric(late.service.metrics.registry, "event_consumer_gaps_total", labels)) === 1,
      30_000,
    );
    expect(
      await metric(producer.metrics.registry, "outbox_stream_gaps_total", {
        consumer: "retention-consumer/echoes",
      }),
    ).toBe(1);
    await publish(2);
    await waitFor("the events published after it joined", () =>
      Promise.resolve(receivedBy(late.database).length === 2),
    );
  });

  it("refuses a stream from a position the producer never handed out, and bad positions", async () => {
    await publish(2);
    // A service client, as a consumer is: the stream is for services only.
    const client = testClient(EventsService, producerAddress, testCallers.service);
    try {
      const read = async (afterPosition: bigint) => {
        for await (const response of client.streamEvents({ afterPosition, types: [], consumer: "x/y" })) {
          return response;
        }
        return undefined;
      };
      await waitFor("the events to be positioned", async () => ((await read(0n))?.headPosition ?? 0n) >= 2n);
      await expect(read(1_000n)).rejects.toMatchObject({
        code: "failed_precondition",
        message: expect.stringContaining("went back") as string,
      });
      await expect(read(-1n)).rejects.toMatchObject({ code: "invalid_argument" });
      await expect(client.acknowledgeEvents({ consumer: "", position: 1n })).rejects.toMatchObject({
        code: "invalid_argument",
      });
      await expect(client.acknowledgeEvents({ consumer: "x/y", position: 1_000n })).rejects.toMatchObject({
        code: "failed_precondition",
      });
    } finally {
      client.close();
    }
  });
});
