import { EchoedSchema, EchoRequestSchema } from "@tessera/contracts/testing/v1";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../db.ts";
import { createLogger } from "../logger.ts";
import { migrate, readKitMigrations } from "../migrations.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { waitFor } from "../wait-for.ts";
import { applyBatch, applyEvent, type Subscription } from "./consumer.ts";
import { testEnvelope } from "../test-events.ts";
import { outboxChannel, publish, publishAll } from "./outbox.ts";

const log = createLogger({ service: "inbox-test", level: "silent" });

describe("the inbox, the offset and the outbox in few statements", () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase("inbox");
    db = createDb({ connectionString: database.url });
    await migrate(db, await readKitMigrations());
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const offset = async (consumer: string) =>
    (
      await db.query<{ position: bigint }>(
        "SELECT position FROM consumer_offsets WHERE consumer = $1 AND producer = 'testing'",
        [consumer],
      )
    ).rows[0]?.position;

  it("runs a handler once for an event met twice in one batch, and commits the offset with it", async () => {
    const handled: string[] = [];
    const subscription: Subscription = {
      name: "twice",
      types: new Map([[EchoedSchema.typeName, EchoedSchema]]),
      handler: ({ envelope }) => Promise.resolve(void handled.push(envelope.id)),
    };
    const event = { ...testEnvelope(EchoedSchema.typeName, "s", "testing"), position: 7n };
    const outcomes = await applyBatch(subscription, [event, { ...event, position: 8n }], {
      db,
      log,
      offsetOf: "testing",
    });
    expect(outcomes).toEqual(["applied", "duplicate"]);
    expect(handled).toEqual([event.id]);
    expect(await offset("twice")).toBe(8n);
  });

  it("moves the offset past an event of a type the subscription does not take", async () => {
    const subscription: Subscription = {
      name: "other-types",
      types: new Map([[EchoedSchema.typeName, EchoedSchema]]),
      handler: () => Promise.reject(new Error("not for this subscription")),
    };
    const event = { ...testEnvelope(EchoRequestSchema.typeName, "s", "testing"), position: 3n };
    expect(await applyEvent(subscription, event, { db, log, offsetOf: "testing" })).toBe("skipped");
    expect(await offset("other-types")).toBe(3n);
  });

  it("inserts a transaction's events in the order given and wakes the relay once", async () => {
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    let notifications = 0;
    listener.on("notification", () => notifications++);
    await listener.query(`LISTEN ${outboxChannel}`);
    try {
      const published = await db.tx(async (tx) => [
        await publish(tx, "testing", EchoedSchema, { subject: "a", sequence: 1n }, { subject: "a" }),
        ...(await publishAll(tx, "testing", [
          { schema: EchoedSchema, data: { subject: "a", sequence: 2n }, subject: "a" },
          { schema: EchoRequestSchema, data: { message: "m" }, subject: "a" },
          { schema: EchoedSchema, data: { subject: "a", sequence: 3n }, subject: "a" },
        ])),
      ]);
      const { rows } = await db.query<{ id: string; type: string }>(
        "SELECT id, type FROM outbox ORDER BY id_seq",
      );
      expect(rows).toEqual(published.map(({ id, type }) => ({ id, type })));
      await waitFor("the notification", () => Promise.resolve(notifications > 0));
      await sleep(200);
      expect(notifications).toBe(1);
    } finally {
      await listener.end();
    }
  });
});
