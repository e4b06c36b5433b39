import { PaymentsService } from "@tessera/contracts/payments/v1";
import { listAll, newId, type Client } from "@tessera/kit";
import { testCallers, testClient } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPayments, type TestPayments } from "./testing/test-service.ts";

describe("ListPayments pages (AIP-158)", () => {
  let t: TestPayments;
  let client: Client<typeof PaymentsService>;

  beforeAll(async () => {
    t = await startTestPayments();
    client = testClient(PaymentsService, `127.0.0.1:${t.rpcPort}`, testCallers.operator);
  });

  afterAll(async () => {
    client?.close();
    await t?.stop();
  });

  it("pages through every payment exactly once, in id order, at most 100 a page", async () => {
    // Declined payments: rows of the payments table without journal lines.
    await t.service.db.tx(async (tx) => {
      for (let i = 0; i < 101; i++) {
        const at = new Date();
        const base = { currency: "USD", amountMinor: 100n, capturedMinor: 0n, refundedMinor: 0n };
        await t.payments.insert(tx, {
          ...{ id: newId(), orderId: newId(), userId: "pager", status: "declined", ...base },
          ...{ authorizationId: "", declineReason: "invalid_card", createdAt: at, updatedAt: at },
        });
      }
    });
    const all = await listAll(
      (page) => client.listPayments(page),
      (response) => response.payments,
    );
    expect(all).toHaveLength(101);
    expect((await client.listPayments({ pageSize: 1_000 })).payments).toHaveLength(100);
    const paged: string[] = [];
    let pageToken = "";
    do {
      const page = await client.listPayments({ pageSize: 7, pageToken });
      expect(page.payments.length).toBeLessThanOrEqual(7);
      paged.push(...page.payments.map((p) => p.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(paged).toEqual(all.map((p) => p.id));
    expect(paged).toEqual([...new Set(paged)].sort());
  });

  it.each([
    ["a garbled token", "not a token!"],
    ["a forged token", Buffer.from(JSON.stringify({ id: "'; DROP TABLE payments" })).toString("base64url")],
    ["a negative page size", ""],
  ])("refuses ListPayments with %s as invalid_argument", async (name, pageToken) => {
    const pageSize = name === "a negative page size" ? -1 : 10;
    await expect(client.listPayments({ pageSize, pageToken })).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });
});
