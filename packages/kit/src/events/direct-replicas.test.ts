import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../db.ts";
import { testIssuer } from "../test-issuer.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { echoedEvents, openDb, publishEchoed, ServiceProcess, waitFor } from "./contract/harness.ts";

// The direct transport with replicas on both sides. Producer replicas share one outbox, so any of
// them serves a stream; a consumer dials them all (a comma-separated address, balanced) and
// streams from one. Consumer replicas of one subscription each stream every event: the inbox row
// and the offset, written in one statement that waits for another replica's uncommitted write,
// let exactly one of them apply each event, and in position order.
describe("the direct transport with two producer and two consumer replicas", { timeout: 180_000 }, () => {
  let producerDatabase: TestDatabase;
  let consumerDatabase: TestDatabase;
  let producerDb: Db;
  let consumerDb: Db;
  let processes: ServiceProcess[];

  beforeEach(async () => {
    producerDatabase = await createTestDatabase("direct_replicas_producer");
    consumerDatabase = await createTestDatabase("direct_replicas_consumer");
    producerDb = openDb(producerDatabase.url);
    consumerDb = openDb(consumerDatabase.url);
    processes = [];
  });

  afterEach(async () => {
    await Promise.all(processes.map((process) => process.stop()));
    await producerDb.close();
    await consumerDb.close();
    await producerDatabase.drop();
    await consumerDatabase.drop();
  });

  async function start(script: string, env: Record<string, string>): Promise<ServiceProcess> {
    const process = await ServiceProcess.create(script, { EVENTS_TRANSPORT: "direct", ...env });
    processes.push(process);
    await process.start();
    return process;
  }

  it("applies every event once and each subject's in order, while a replica of each side is killed", async () => {
    const auth = (await testIssuer()).env;
    const producers = [
      await start("./producer-main.ts", { ...auth, DATABASE_URL: producerDatabase.url }),
      await start("./producer-main.ts", { ...auth, DATABASE_URL: producerDatabase.url }),
    ];
    const consumerEnv = (replica: string) => ({
      ...auth,
      DATABASE_URL: consumerDatabase.url,
      TESTING_ADDR: producers.map((producer) => producer.address).join(","),
      REPLICA: replica,
    });
    const consumers = [
      await start("./consumer-main.ts", consumerEnv("a")),
      await start("./consumer-main.ts", consumerEnv("b")),
    ];
    const events = echoedEvents(3_000, 10);
    const publishing = publishEchoed(producerDb, events, 25);
    const applied = async () =>
      Number(
        (await consumerDb.query<{ n: bigint }>("SELECT count(DISTINCT event_id) AS n FROM effects")).rows[0]
          ?.n,
      );
    await waitFor("a first part applied", async () => (await applied()) >= 500, 60_000);
    await Promise.all([producers[0]!.crash(), consumers[0]!.crash()]);
    await publishing;
    await waitFor("every event applied", async () => (await applied()) >= 3_000, 120_000);

    const { rows } = await consumerDb.query<{ total: bigint; distinct: bigint }>(
      "SELECT count(*) AS total, count(DISTINCT event_id) AS distinct FROM effects",
    );
    expect({ total: Number(rows[0]?.total), distinct: Number(rows[0]?.distinct) }).toEqual({
      total: 3_000,
      distinct: 3_000,
    });
    // Two replicas meeting on one event wait for each other; neither takes it for a failing one.
    expect((await consumerDb.query("SELECT event_id FROM dead_letters")).rows).toEqual([]);
    const { rows: order } = await consumerDb.query<{ subject: string; sequences: string[] }>(
      "SELECT subject, array_agg(sequence::text ORDER BY applied_order) AS sequences FROM effects GROUP BY subject",
    );
    expect(order).toHaveLength(10);
    for (const { sequences } of order)
      expect(sequences.map(Number)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });
});
