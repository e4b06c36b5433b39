import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../db.ts";
import { createTestDatabase, waitFor, type TestDatabase } from "../testing.ts";
import { Notifier } from "./notifier.ts";

describe("Notifier", () => {
  const notifier = new Notifier("postgres://unused", ["work"]);

  it("does not miss a notification that arrived while the waiter was busy", async () => {
    const mark = notifier.mark("work");
    notifier.poke("work"); // arrives between "look for work" and "wait"
    const started = Date.now();
    await notifier.wait("work", 5_000, undefined, mark);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it("waits for the next notification when none arrived since the mark", async () => {
    const mark = notifier.mark("work");
    setTimeout(() => notifier.poke("work"), 50);
    const started = Date.now();
    await notifier.wait("work", 5_000, undefined, mark);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(Date.now() - started).toBeLessThan(4_000); // woken by the poke, not the 5 s timeout
  });

  it("gives up after its timeout, so polling remains the fallback", async () => {
    const started = Date.now();
    await notifier.wait("work", 60, undefined, notifier.mark("work"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });
});

describe("Notifier on a real database", () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase("notifier");
    db = createDb({ connectionString: database.url, max: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const listeners = async () =>
    (
      await db.query(
        "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tessera-notifier'",
        [database.name],
      )
    ).rowCount;

  /** Sends NOTIFY until a waiter sees one: the notifier may still be (re)connecting. */
  const heard = (notifier: Notifier) =>
    waitFor("a notification to arrive", async () => {
      const mark = notifier.mark("work");
      await db.query("NOTIFY work");
      await notifier.wait("work", 200, undefined, mark);
      return notifier.mark("work") !== mark;
    });

  it("leaves no connection open once closed, even when closed while still connecting", async () => {
    const notifier = new Notifier(database.url, ["work"]);
    notifier.start();
    await notifier.close();
    // Time enough for a connection that close() missed to be made, and to show.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await listeners()).toBe(0);
  });

  it("leaves no connection open once closed after it connected", async () => {
    const notifier = new Notifier(database.url, ["work"]);
    notifier.start();
    await heard(notifier);
    expect(await listeners()).toBe(1);
    await notifier.close();
    await waitFor("the connection to close", async () => (await listeners()) === 0, 10_000);
  });
});
