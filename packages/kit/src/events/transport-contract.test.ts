import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Admin } from "@platformatic/kafka";
import { EventsService } from "@tessera/contracts/events/v1";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../db.ts";
import { testCallers, testClient, testIssuer } from "../test-issuer.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { echoedEvents, openDb, publishEchoed, ServiceProcess, waitFor } from "./contract/harness.ts";

const natsUrl = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const kafkaBrokers = process.env["KAFKA_BROKERS"];

const transports = [
  { name: "direct", env: { EVENTS_TRANSPORT: "direct" } },
  { name: "nats", env: { EVENTS_TRANSPORT: "nats", NATS_URL: natsUrl } },
  ...(kafkaBrokers
    ? [{ name: "kafka", env: { EVENTS_TRANSPORT: "kafka", KAFKA_BROKERS: kafkaBrokers } }]
    : []),
] as const;

if (!kafkaBrokers) {
  console.warn("event transport contract: Kafka skipped — set KAFKA_BROKERS to run it against a broker");
}

// Each test boots real producer and consumer processes; on a loaded 2-core machine that takes a while.
describe.each(transports)("event transport contract: $name", { timeout: 120_000 }, (transport) => {
  let producerDatabase: TestDatabase;
  let consumerDatabase: TestDatabase;
  let producerDb: Db;
  let consumerDb: Db;
  let producer: ServiceProcess;
  let consumers: ServiceProcess[];
  let prefix: string;
  /** The AUTH_* variables of the test process's issuer: the processes verify callers and get their tokens there. */
  let auth: Record<string, string>;

  const consumer = async (replica = "a") => {
    const process = await ServiceProcess.create("./consumer-main.ts", {
      ...auth,
      ...transport.env,
      EVENTS_PREFIX: prefix,
      DATABASE_URL: consumerDatabase.url,
      TESTING_ADDR: producer.address,
      EVENTS_MAX_ATTEMPTS: "3",
      REPLICA: replica,
    });
    consumers.push(process);
    await process.start();
    return process;
  };

  const effects = async () => {
    const { rows } = await consumerDb.query<{ total: bigint; distinct: bigint }>(
      "SELECT count(*) AS total, count(DISTINCT event_id) AS distinct FROM effects",
    );
    return { total: Number(rows[0]?.total), distinct: Number(rows[0]?.distinct) };
  };
  const appliedAtLeast = (n: number, timeoutMs = 60_000) =>
    waitFor(`${n} effects`, async () => (await effects()).distinct >= n, timeoutMs);

  /** Per subject, the sequences in the order they were applied. */
  const appliedOrder = async () => {
    const { rows } = await consumerDb.query<{ subject: string; sequences: string[] }>(
      "SELECT subject, array_agg(sequence::text ORDER BY applied_order) AS sequences FROM effects GROUP BY subject",
    );
    return new Map(rows.map((row) => [row.subject, row.sequences.map(Number)]));
  };

  beforeEach(async () => {
    prefix = `t${randomBytes(4).toString("hex")}`;
    auth = (await testIssuer()).env;
    producerDatabase = await createTestDatabase("events_producer");
    consumerDatabase = await createTestDatabase("events_consumer");
    producerDb = openDb(producerDatabase.url);
    consumerDb = openDb(consumerDatabase.url);
    consumers = [];
    producer = await ServiceProcess.create("./producer-main.ts", {
      ...auth,
      ...transport.env,
      EVENTS_PREFIX: prefix,
      DATABASE_URL: producerDatabase.url,
    });
    await producer.start();
  });

  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await producer.stop();
    await producerDb.close();
    await consumerDb.close();
    await producerDatabase.drop();
    await consumerDatabase.drop();
    if (transport.name === "nats") {
      const connection = await connect({ servers: natsUrl });
      const manager = await jetstreamManager(connection);
      for await (const stream of manager.streams.list()) {
        if (stream.config.name.startsWith(prefix.toUpperCase()))
          await manager.streams.delete(stream.config.name);
      }
      await connection.close();
    }
    if (transport.name === "kafka") {
      const admin = new Admin({
        clientId: "contract-cleanup",
        bootstrapBrokers: transport.env.KAFKA_BROKERS.split(","),
      });
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${prefix}.`));
      if (topics.length > 0) await admin.deleteTopics({ topics });
      const groups = [...(await admin.listGroups()).keys()].filter((group) => group.startsWith(`${prefix}.`));
      if (groups.length > 0) await admin.deleteGroups({ groups });
      await admin.close();
    }
  });

  it("delivers every subject's events in commit order, each exactly once", async () => {
    await consumer();
    // Two writers at once, each owning half the subjects, so transactions interleave.
    const events = echoedEvents(1_000, 10);
    await Promise.all([
      publishEchoed(
        producerDb,
        events.filter((_, i) => i % 2 === 0),
        7,
      ),
      publishEchoed(
        producerDb,
        events.filter((_, i) => i % 2 === 1),
        11,
      ),
    ]);
    await appliedAtLeast(1_000);
    expect(await effects()).toEqual({ total: 1_000, distinct: 1_000 });
    for (const [, sequences] of await appliedOrder()) {
      expect(sequences).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    }
  });

  it("applies an event once when the consumer crashes between its effect and its acknowledgement", async () => {
    const first = await consumer();
    await publishEchoed(producerDb, echoedEvents(3_000), 500);
    await appliedAtLeast(400);
    await first.crash();
    const partial = await effects();
    expect(partial.distinct).toBeLessThan(3_000);
    await first.start();
    await appliedAtLeast(3_000);
    expect(await effects()).toEqual({ total: 3_000, distinct: 3_000 });
    // The direct stream resumes from the committed position, so order survives the crash. JetStream
    // redelivers the crashed replica's unacknowledged window after ack_wait, behind newer events.
    if (transport.name === "direct") {
      for (const [, sequences] of await appliedOrder())
        expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    }
  });

  it("resumes where it stopped when the producer restarts mid-stream", async () => {
    await consumer();
    await publishEchoed(producerDb, echoedEvents(1_500), 250);
    await appliedAtLeast(200);
    await producer.crash();
    // Committed while the producer is down: delivered once it is back.
    await publishEchoed(producerDb, echoedEvents(1_500, 10, 151), 250);
    await producer.start();
    await appliedAtLeast(3_000);
    expect(await effects()).toEqual({ total: 3_000, distinct: 3_000 });
    for (const [, sequences] of await appliedOrder()) {
      expect(sequences).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    }
  });

  it("parks a failing event as a dead letter without blocking the rest, and replays it", async () => {
    const running = await consumer();
    const events = echoedEvents(50, 5);
    events[10] = { ...events[10]!, payload: "poison" };
    await publishEchoed(producerDb, events);
    await appliedAtLeast(49);
    const admin = testClient(EventsService, running.address, testCallers.operator);
    try {
      const { deadLetters } = await waitFor("a dead letter", async () => {
        const list = await admin.listDeadLetters({});
        return list.deadLetters.length > 0 ? list : undefined;
      });
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0]).toMatchObject({ consumer: "effects", error: "poisoned event", attempts: 3 });
      expect(deadLetters[0]?.event?.subject).toBe(events[10]?.subject);
      await expect(admin.replayDeadLetter({ id: deadLetters[0]!.id })).rejects.toMatchObject({
        code: "failed_precondition",
      });

      await consumerDb.query("UPDATE poison_switch SET on_ = false");
      expect(await admin.replayDeadLetter({ id: deadLetters[0]!.id })).toMatchObject({ applied: true });
      expect(await effects()).toEqual({ total: 50, distinct: 50 });
      expect((await admin.listDeadLetters({})).deadLetters).toEqual([]);
      await expect(admin.replayDeadLetter({ id: deadLetters[0]!.id })).rejects.toMatchObject({
        code: "not_found",
      });
    } finally {
      admin.close();
    }
  });

  it("lets two consumer replicas share the work with no double effect", async () => {
    await Promise.all([consumer("a"), consumer("b")]);
    await publishEchoed(producerDb, echoedEvents(2_000), 200);
    await appliedAtLeast(2_000);
    expect(await effects()).toEqual({ total: 2_000, distinct: 2_000 });
    const { rows } = await consumerDb.query<{ replica: string }>("SELECT DISTINCT replica FROM effects");
    // JetStream splits one durable consumer's messages, a Kafka group the partitions; direct replicas
    // race and the inbox picks one.
    if (transport.name === "nats" || transport.name === "kafka")
      expect(rows.map((r) => r.replica).sort()).toEqual(["a", "b"]);
  });

  it("delivers a burst of 10,000 events completely", async () => {
    await consumer();
    const started = Date.now();
    await publishEchoed(producerDb, echoedEvents(10_000, 50), 500);
    await appliedAtLeast(10_000, 120_000);
    expect(await effects()).toEqual({ total: 10_000, distinct: 10_000 });
    console.info(`${transport.name}: 10,000 events applied in ${Date.now() - started} ms`);
  }, 150_000);
});
