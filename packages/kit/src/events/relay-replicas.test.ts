import { EchoedSchema } from "@tessera/contracts/testing/v1";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Db } from "../db.ts";
import { createLogger } from "../logger.ts";
import { migrate, readKitMigrations } from "../migrations.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { waitFor } from "../wait-for.ts";
import { Notifier } from "./notifier.ts";
import { outboxChannel, positionedChannel, publish } from "./outbox.ts";
import { createRelay, type OutboxSink, type Relay } from "./relay.ts";

// Several replicas of a producer each run a relay over the one outbox they share: the lease lets
// one of them relay at a time, so a broker is never handed an event twice nor out of order.
describe("outbox relays of several producer replicas", () => {
  let database: TestDatabase;
  let db: Db;
  const log = createLogger({ service: "relay-replicas-test", level: "silent" });
  /** Every delivery in the order the sinks were called: which relay, which positions. */
  let deliveries: { relay: string; positions: bigint[] }[];
  let running: { relay: Relay; notifier: Notifier }[];

  beforeEach(async () => {
    database = await createTestDatabase("relay_replicas");
    db = createDb({ connectionString: database.url });
    await migrate(db, await readKitMigrations());
    deliveries = [];
    running = [];
  });
  afterEach(async () => {
    for (const { relay, notifier } of running) {
      await relay.stop();
      await notifier.close();
    }
    await db.close();
    await database.drop();
  });

  function startRelay(name: string): Relay {
    // Each delivery takes a moment, as a broker's acknowledgement does, so overlapping relays would show.
    const sink: OutboxSink = {
      name: "test",
      async deliver(events) {
        deliveries.push({ relay: name, positions: events.map((event) => event.position) });
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
    };
    const notifier = new Notifier(database.url, [outboxChannel, positionedChannel], log);
    notifier.start();
    const relay = createRelay({ connectionString: database.url, notifier, log, sink, pollMs: 200 });
    relay.start();
    running.push({ relay, notifier });
    return relay;
  }

  /** `count` events in transactions of five, four writers at once so commits interleave. */
  async function publishMany(count: number): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < count) {
          const first = next;
          next += 5;
          await db.tx(async (tx) => {
            for (let i = first; i < Math.min(first + 5, count); i++) {
              const subject = `s${i % 7}`;
              await publish(tx, "testing", EchoedSchema, { subject, sequence: BigInt(i) }, { subject });
            }
          });
        }
      }),
    );
  }

  const delivered = () => deliveries.flatMap((delivery) => delivery.positions);
  const ascending = (positions: bigint[]) =>
    positions.every((position, i) => i === 0 || positions[i - 1]! < position);

  it("hands each event to the broker once, in position order, with a relay taking over when the other stops", async () => {
    const relays = new Map([
      ["a", startRelay("a")],
      ["b", startRelay("b")],
    ]);
    await publishMany(300);
    await waitFor("a first relay to deliver", () => Promise.resolve(delivered().length > 0), 30_000);
    const first = deliveries[0]!.relay;
    await relays.get(first)!.stop();
    await publishMany(300);
    await waitFor("every event delivered", () => Promise.resolve(delivered().length >= 600), 60_000);
    await waitFor("the outbox marked delivered", async () => {
      const { rows } = await db.query("SELECT 1 FROM outbox WHERE delivered_at IS NULL");
      return rows.length === 0;
    });
    expect(delivered()).toHaveLength(600);
    expect(ascending(delivered())).toBe(true);
    // The one that stopped relayed only before; the other took over after.
    const owners = deliveries.map((delivery) => delivery.relay);
    expect(owners.slice(owners.lastIndexOf(first) + 1).every((relay) => relay !== first)).toBe(true);
    expect(new Set(owners).size).toBe(2);
  }, 120_000);

  it("loses nothing and keeps position order when the lease holder's connection dies mid-stream", async () => {
    startRelay("a");
    startRelay("b");
    const writing = publishMany(600);
    await waitFor("a first relay to deliver", () => Promise.resolve(delivered().length > 0), 30_000);
    // The lease is the relay connection's advisory lock: ending that session ends the lease. Only
    // the relay's: the writers' transactions may hold advisory locks of their own at this moment.
    const ended = await db.query(
      `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'tessera-relay'
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(ended.rowCount).toBe(1);
    await writing;
    await waitFor(
      "the outbox marked delivered",
      async () => {
        const { rows } = await db.query("SELECT 1 FROM outbox WHERE delivered_at IS NULL");
        return rows.length === 0;
      },
      60_000,
    );
    // A batch handed over just before the connection died is handed again (the broker dedupes it
    // by event id): only the first time each position was handed counts for the order.
    const firsts = [...new Set(delivered())];
    expect(firsts).toHaveLength(600);
    expect(ascending(firsts)).toBe(true);
  }, 120_000);
});
