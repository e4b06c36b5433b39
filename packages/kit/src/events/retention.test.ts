import pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../db.ts";
import { newId } from "../ids.ts";
import { createLogger } from "../logger.ts";
import { migrate, readKitMigrations } from "../migrations.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { createEventMetrics } from "./metrics.ts";
import { pruneOutbox } from "./retention.ts";

describe("pruning the outbox", () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase("retention");
    db = createDb({ connectionString: database.url });
    await migrate(db, await readKitMigrations());
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  /** Delivered an hour ago, positioned by the sequence as the relay does. */
  const insert = (type: string) =>
    db.query(
      `INSERT INTO outbox (id, type, source, subject, time, data, schema_version, position, delivered_at)
       VALUES ($1, $2, 'testing', 's', now(), '{}', 1, nextval('outbox_position'), now() - interval '1 hour')`,
      [newId(), type],
    );

  it("keeps a known consumer's unacknowledged rows of its types, prunes the rest, and warns that it is behind", async () => {
    for (const type of ["t.A", "t.A", "t.A", "t.B", "t.B", "t.B"]) await insert(type);
    await db.query(
      "INSERT INTO outbox_consumers (consumer, types, acknowledged) VALUES ('orders/saga', '{t.A}', 1)",
    );
    const lines: string[] = [];
    const log = createLogger({
      service: "retention-test",
      level: "warn",
      destination: { write: (line: string) => void lines.push(line) },
    });
    const registry = new Registry();
    const metrics = createEventMetrics(registry, () => Promise.resolve({ depth: 0, oldestAgeSeconds: 0 }));
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      expect(await pruneOutbox(client, { retentionMs: 60_000, log, metrics })).toBe(4);
    } finally {
      await client.end();
    }

    const left = await db.query<{ type: string; position: bigint }>(
      "SELECT type, position FROM outbox ORDER BY position",
    );
    expect(left.rows).toEqual([
      { type: "t.A", position: 2n },
      { type: "t.A", position: 3n },
    ]);
    const pruned = await db.query<{ type: string; through: bigint }>(
      "SELECT type, through FROM outbox_pruned ORDER BY type",
    );
    expect(pruned.rows).toEqual([
      { type: "t.A", through: 1n },
      { type: "t.B", through: 6n },
    ]);
    const { values } = await metrics.retainedForConsumer.get();
    expect(values).toEqual([expect.objectContaining({ labels: { consumer: "orders/saga" }, value: 2 })]);
    const warnings = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warnings).toEqual([
      expect.objectContaining({
        "log.level": "warn",
        consumer: "orders/saga",
        retained: 2,
        message: "consumer is behind the outbox retention; its events are kept until it acknowledges them",
      }),
    ]);
  });
});
