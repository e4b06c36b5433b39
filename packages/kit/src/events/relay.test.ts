import { EchoedSchema } from "@tessera/contracts/testing/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../db.ts";
import { ServiceError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { migrate, readKitMigrations } from "../migrations.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { waitFor } from "../wait-for.ts";
import { Notifier } from "./notifier.ts";
import { outboxChannel, positionedChannel, publish } from "./outbox.ts";
import { createRelay, type OutboxSink } from "./relay.ts";
import { createTransportHealth } from "./transport-health.ts";

describe("the outbox relay", () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase("relay");
    db = createDb({ connectionString: database.url });
    await migrate(db, await readKitMigrations());
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it("backs off while the transport keeps failing, counting each failure and saying why, then recovers", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      service: "relay-test",
      level: "info",
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    let broken = true;
    const delivered: string[] = [];
    const sink: OutboxSink = {
      name: "test",
      deliver(events) {
        if (broken) return Promise.reject(new ServiceError("unavailable", "stream TEST is missing"));
        delivered.push(...events.map((event) => event.id));
        return Promise.resolve();
      },
    };
    const health = createTransportHealth({ unhealthyAfterMs: 500 });
    const notifier = new Notifier(database.url, [outboxChannel, positionedChannel], log);
    notifier.start();
    const relay = createRelay({
      connectionString: database.url,
      notifier,
      log,
      sink,
      health,
      maxBackoffMs: 2_000,
    });
    try {
      const event = await db.tx((tx) =>
        publish(tx, "testing", EchoedSchema, { subject: "s", sequence: 1n }, { subject: "s" }),
      );
      relay.start();
      const failures = () => lines.filter((line) => line["message"] === "outbox relay failed; retrying");
      await waitFor("five failed attempts", () => Promise.resolve(failures().length >= 5), 60_000);
      // Each failure counts on from the last, with the transport's own reason and a growing pause.
      expect(failures().map((line) => line["failures"])).toEqual(failures().map((_, i) => i + 1));
      expect(failures()[0]).toMatchObject({
        error: expect.objectContaining({ message: "stream TEST is missing" }),
      });
      // Exponential with jitter: the first five pauses add up to over a second (a fixed 200 ms before).
      const pauses = failures()
        .slice(0, 5)
        .map((line) => line["retryInMs"] as number);
      expect(pauses.reduce((sum, pause) => sum + pause, 0)).toBeGreaterThanOrEqual(1_000);
      expect(pauses.every((pause) => pause <= 2_000)).toBe(true);
      await waitFor("the relay to count as unready", () => Promise.resolve(!health.ready()));
      expect(health.problems()).toEqual([
        expect.objectContaining({ component: "relay", error: "stream TEST is missing" }),
      ]);

      broken = false;
      await waitFor("the event to be delivered", () => Promise.resolve(delivered.includes(event.id)), 30_000);
      // The step finishes (marking it delivered) just after the sink returned.
      await waitFor("the relay to count as recovered", () => Promise.resolve(health.problems().length === 0));
      expect(health.ready()).toBe(true);
      expect(lines.some((line) => line["message"] === "outbox relay recovered")).toBe(true);
    } finally {
      await relay.stop();
      await notifier.close();
    }
  });
  it("hands a broker the rows it just positioned, each once and in position order, and marks them delivered", async () => {
    const log = createLogger({ service: "relay-test", level: "silent" });
    const delivered: { id: string; position: bigint }[] = [];
    const sink: OutboxSink = {
      name: "test",
      deliver(events) {
        delivered.push(...events.map(({ id, position }) => ({ id, position })));
        return Promise.resolve();
      },
    };
    await db.query("UPDATE outbox SET delivered_at = now() WHERE delivered_at IS NULL");
    const notifier = new Notifier(database.url, [outboxChannel, positionedChannel], log);
    notifier.start();
    const relay = createRelay({ connectionString: database.url, notifier, log, sink });
    relay.start();
    try {
      const published: string[] = [];
      for (let i = 1; i <= 3; i++) {
        // One transaction at a time, each delivered before the next: the relay's fast path.
        const events = await db.tx(async (tx) => [
          await publish(
            tx,
            "testing",
            EchoedSchema,
            { subject: "s", sequence: BigInt(2 * i) },
            { subject: "s" },
          ),
          await publish(
            tx,
            "testing",
            EchoedSchema,
            { subject: "t", sequence: BigInt(2 * i + 1) },
            { subject: "t" },
          ),
        ]);
        published.push(...events.map((event) => event.id));
        await waitFor("the transaction's events", () => Promise.resolve(delivered.length === 2 * i), 30_000);
      }
      expect(delivered.map((event) => event.id)).toEqual(published);
      const positions = delivered.map((event) => event.position);
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
      await waitFor("the rows to be marked delivered", async () => {
        const { rows } = await db.query("SELECT 1 FROM outbox WHERE delivered_at IS NULL");
        return rows.length === 0;
      });
    } finally {
      await relay.stop();
      await notifier.close();
    }
  });
});
