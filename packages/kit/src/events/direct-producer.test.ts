import { EchoedSchema, EchoRequestSchema } from "@tessera/contracts/testing/v1";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../db.ts";
import { createLogger } from "../logger.ts";
import { migrate, readKitMigrations } from "../migrations.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { waitFor } from "../wait-for.ts";
import { concerns, streamOutbox } from "./direct-producer.ts";
import { Notifier } from "./notifier.ts";
import { outboxChannel, positionedChannel, publish } from "./outbox.ts";
import { createRelay } from "./relay.ts";

const log = createLogger({ service: "direct-producer-test", level: "silent" });

describe("which positioned notifications concern a stream", () => {
  const payload = (types: string[]) => `origin ${JSON.stringify({ types })}`;

  it("wakes a stream for a batch holding one of its types", () => {
    expect(concerns(payload(["a.B", "a.C"]), ["a.C"])).toBe(true);
  });

  it("leaves a stream asleep for a batch of unrelated types", () => {
    expect(concerns(payload(["a.B"]), ["a.C"])).toBe(false);
  });

  it("wakes every stream when the content is unknown: a reconnect, a batch too varied to list, no filter", () => {
    expect(concerns(undefined, ["a.C"])).toBe(true);
    expect(concerns("origin {}", ["a.C"])).toBe(true);
    expect(concerns("origin not json", ["a.C"])).toBe(true);
    expect(concerns(payload(["a.B"]), null)).toBe(true);
  });
});

describe("a direct stream waiting for events", () => {
  let database: TestDatabase;
  let db: Db;
  let reads = 0;
  /** The producer's database, counting the stream's outbox reads. */
  let counted: Db;

  beforeAll(async () => {
    database = await createTestDatabase("direct_producer");
    db = createDb({ connectionString: database.url });
    await migrate(db, await readKitMigrations());
    counted = {
      ...db,
      query: (text, values) => {
        if (text.includes("FROM outbox") && text.includes("ORDER BY position")) reads++;
        return db.query(text, values);
      },
    };
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it("takes its type's events as the relay hands them, sleeps through another type's, and reads the outbox after a gap", async () => {
    const notifier = new Notifier(database.url, [outboxChannel, positionedChannel], log);
    notifier.start();
    const relay = createRelay({ connectionString: database.url, notifier, log });
    relay.start();
    const abort = new AbortController();
    // The idle poll is far off: any read within the test was a notification's doing.
    const stream = streamOutbox(
      counted,
      notifier,
      { afterPosition: 0n, types: [EchoedSchema.typeName], consumer: "" },
      { signal: abort.signal },
      { log, idleWaitMs: 60_000 },
    );
    const received: string[] = [];
    const reading = (async () => {
      for await (const response of stream) if (response.event?.id) received.push(response.event.id);
    })();
    try {
      // Once the notifier hears a NOTIFY it is connected, and its (re)connect wake-up is behind us.
      await waitFor("the notifier to listen", async () => {
        const mark = notifier.mark(outboxChannel);
        await db.query(`NOTIFY ${outboxChannel}`);
        await notifier.wait(outboxChannel, 200, undefined, mark);
        return notifier.mark(outboxChannel) !== mark;
      });
      await sleep(300);
      const base = reads;
      const other = await db.tx((tx) =>
        publish(tx, "testing", EchoRequestSchema, { message: "not for this stream" }, { subject: "s" }),
      );
      await waitFor("the other event to be positioned", async () => {
        const { rows } = await db.query("SELECT 1 FROM outbox WHERE id = $1 AND position IS NOT NULL", [
          other.id,
        ]);
        return rows.length === 1;
      });
      await sleep(300);
      expect(reads - base).toBe(0);

      const mine = await db.tx((tx) =>
        publish(tx, "testing", EchoedSchema, { subject: "s", sequence: 1n }, { subject: "s" }),
      );
      await waitFor("the stream to deliver the event", () => Promise.resolve(received.includes(mine.id)));
      // The relay handed it the event: no read, and the echo of the relay's NOTIFY woke nothing.
      await sleep(300);
      expect(reads - base).toBe(0);
      expect(received).toEqual([mine.id]);

      // Positioned elsewhere, unannounced (another replica's relay whose NOTIFY was lost): the next
      // batch handed over does not follow on from what the stream saw, so it reads the outbox.
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO outbox (id, type, source, subject, time, data, schema_version, position)
         SELECT gen_random_uuid(), type, source, subject, now(), data, schema_version, nextval('outbox_position')
           FROM outbox WHERE id = $1 RETURNING id`,
        [mine.id],
      );
      const next = await db.tx((tx) =>
        publish(tx, "testing", EchoedSchema, { subject: "s", sequence: 2n }, { subject: "s" }),
      );
      await waitFor("the stream to deliver the next event", () =>
        Promise.resolve(received.includes(next.id)),
      );
      expect(received).toEqual([mine.id, rows[0]?.id, next.id]);
      expect(reads - base).toBe(1);
    } finally {
      abort.abort();
      await reading.catch(() => undefined);
      await relay.stop();
      await notifier.close();
    }
  });
});
