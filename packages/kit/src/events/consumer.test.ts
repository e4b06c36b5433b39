import { EchoedSchema } from "@tessera/contracts/testing/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../db.ts";
import { ServiceError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { migrate, readKitMigrations } from "../migrations.ts";
import { newId } from "../ids.ts";
import { createTestDatabase, startTcpProxy, type TestDatabase } from "../testing.ts";
import { applyEvent, type Subscription } from "./consumer.ts";
import { encodeData, type EventEnvelope } from "./envelope.ts";

const log = createLogger({ service: "consumer-test", level: "silent" });

function envelope(): EventEnvelope {
  return {
    id: newId(),
    type: EchoedSchema.typeName,
    source: "testing",
    subject: "s",
    time: new Date(),
    datacontenttype: "application/json",
    schemaVersion: 1,
    data: encodeData(EchoedSchema, { subject: "s", sequence: 1n }),
    traceparent: "",
    position: 1n,
  };
}

describe("applying an event that keeps failing", () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase("consumer");
    db = createDb({ connectionString: database.url });
    await migrate(db, await readKitMigrations());
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const failingWith = (code: "invalid_argument" | "failed_precondition") => {
    let calls = 0;
    const subscription: Subscription = {
      name: `fails-${code.replace("_", "-")}`,
      types: new Map([[EchoedSchema.typeName, EchoedSchema]]),
      handler: () => {
        calls++;
        return Promise.reject(new ServiceError(code, `always ${code}`));
      },
    };
    return { subscription, calls: () => calls };
  };

  const parked = async (consumer: string) => {
    const { rows } = await db.query<{ attempts: number; error: string }>(
      "SELECT attempts, error FROM dead_letters WHERE consumer = $1",
      [consumer],
    );
    return rows;
  };

  it("parks a malformed event (invalid_argument) at once, without retrying it", async () => {
    const { subscription, calls } = failingWith("invalid_argument");
    const outcome = await applyEvent(subscription, envelope(), {
      db,
      log,
      maxAttempts: 4,
      retryBaseMs: 1,
    });
    expect(outcome).toBe("dead_lettered");
    expect(calls()).toBe(1);
    expect(await parked(subscription.name)).toEqual([{ attempts: 1, error: "always invalid_argument" }]);
  });

  it("retries an event that may succeed later (failed_precondition) before parking it", async () => {
    const { subscription, calls } = failingWith("failed_precondition");
    const outcome = await applyEvent(subscription, envelope(), {
      db,
      log,
      maxAttempts: 4,
      retryBaseMs: 1,
    });
    expect(outcome).toBe("dead_lettered");
    expect(calls()).toBe(4);
    expect(await parked(subscription.name)).toEqual([{ attempts: 4, error: "always failed_precondition" }]);
  });
});

describe("applying an event while the database is unreachable", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase("consumer_outage");
    const direct = createDb({ connectionString: database.url });
    try {
      await migrate(direct, await readKitMigrations());
    } finally {
      await direct.close();
    }
  });
  afterAll(() => database?.drop());

  it("waits for the database and applies the event, rather than using up its attempts and parking it", async () => {
    const proxy = await startTcpProxy(new URL(database.url));
    const db = createDb({ connectionString: proxy.via(database.url) });
    try {
      const applied: string[] = [];
      const subscription: Subscription = {
        name: "outage",
        types: new Map([[EchoedSchema.typeName, EchoedSchema]]),
        handler: ({ envelope }) => {
          applied.push(envelope.id);
          return Promise.resolve();
        },
      };
      const event = envelope();
      await proxy.cut();
      const outcome = applyEvent(subscription, event, { db, log, maxAttempts: 2, retryBaseMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await proxy.restore();

      expect(await outcome).toBe("applied");
      expect(applied).toEqual([event.id]);
      const { rows } = await db.query("SELECT 1 FROM dead_letters WHERE consumer = 'outage'");
      expect(rows).toEqual([]);
    } finally {
      await db.close();
      await proxy.close();
    }
  });
});
