import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../db.ts";
import { newId } from "../ids.ts";
import { migrate, readKitMigrations } from "../migrations.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { pageTokenKeyOf } from "../page-token.ts";
import { deadLetterPageTokens, listDeadLetters } from "./dead-letters.ts";
import { envelopeToJson } from "./envelope.ts";

const tokens = deadLetterPageTokens(pageTokenKeyOf("the service's secret"));
const otherServiceTokens = deadLetterPageTokens(pageTokenKeyOf("another service's secret"));

describe("listing dead letters a page at a time (AIP-158)", () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase("dead_letters");
    db = createDb({ connectionString: database.url });
    await migrate(db, await readKitMigrations());
    // 101 of one subscription, 30 of another: more than the largest page of each.
    for (const [consumer, count] of [
      ["orders/saga", 101],
      ["cart/orders", 30],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const id = newId();
        const envelope = {
          ...{ id, type: "tessera.testing.v1.Echoed", source: "testing", subject: `s-${i}` },
          ...{ time: new Date(), datacontenttype: "application/json" as const, schemaVersion: 1 },
          ...{ data: {}, traceparent: "", position: BigInt(i + 1) },
        };
        await db.query(
          "INSERT INTO dead_letters (consumer, event_id, event, error, attempts) VALUES ($1, $2, $3, 'boom', 3)",
          [consumer, id, envelopeToJson(envelope)],
        );
      }
    }
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  /** Ids of every page of `consumer`'s list at `pageSize`, checking each page's size. */
  async function walk(consumer: string, pageSize: number): Promise<bigint[]> {
    const ids: bigint[] = [];
    let pageToken = "";
    do {
      const page = await listDeadLetters(db, tokens, { consumer, pageSize, pageToken });
      expect(page.deadLetters?.length).toBeLessThanOrEqual(pageSize);
      ids.push(...(page.deadLetters ?? []).map((letter) => BigInt(letter.id ?? 0)));
      pageToken = page.nextPageToken ?? "";
    } while (pageToken !== "");
    return ids;
  }

  it("covers every dead letter exactly once, newest first, across pages", async () => {
    const all = await walk("", 100);
    expect(all).toHaveLength(131);
    expect(await walk("", 9)).toEqual(all);
    expect(all).toEqual([...new Set(all)].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(await walk("cart/orders", 7)).toHaveLength(30);
    const first = await listDeadLetters(db, tokens, { consumer: "orders/saga", pageSize: 0, pageToken: "" });
    expect(first.deadLetters).toHaveLength(20);
    expect(first.deadLetters?.every((letter) => letter.consumer === "orders/saga")).toBe(true);
  });

  it("reduces a page size above 100 to 100", async () => {
    const page = await listDeadLetters(db, tokens, { consumer: "", pageSize: 5_000, pageToken: "" });
    expect(page.deadLetters).toHaveLength(100);
    expect(page.nextPageToken).not.toBe("");
  });

  it.each([
    ["a garbled token", "", "%%%not-base64%%%"],
    ["a forged token", "", Buffer.from('{"consumer":"","before":"1 OR 1=1"}').toString("base64url")],
    ["another filter's token", "cart/orders", "issued for every consumer"],
    ["another service's token", "", otherServiceTokens.encode({ consumer: "", before: "5" })],
  ])("refuses %s as invalid_argument", async (name, consumer, token) => {
    let pageToken = token;
    if (name === "another filter's token") {
      pageToken =
        (await listDeadLetters(db, tokens, { consumer: "", pageSize: 5, pageToken: "" })).nextPageToken ?? "";
    }
    await expect(listDeadLetters(db, tokens, { consumer, pageSize: 5, pageToken })).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });

  it("refuses a negative page size and an over-long consumer filter as invalid_argument", async () => {
    await expect(
      listDeadLetters(db, tokens, { consumer: "", pageSize: -1, pageToken: "" }),
    ).rejects.toMatchObject({
      code: "invalid_argument",
    });
    const consumer = "c".repeat(201);
    await expect(listDeadLetters(db, tokens, { consumer, pageSize: 5, pageToken: "" })).rejects.toMatchObject(
      {
        code: "invalid_argument",
      },
    );
  });
});
