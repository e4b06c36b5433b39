import { AuthorizePaymentSchema } from "@tessera/contracts/orders/v1";
import { createDb, newId, type Db } from "@tessera/kit";
import {
  createTestDatabase,
  startRpcService,
  startTestProducer,
  testIssuer,
  waitFor,
  type RpcServiceProcess,
  type TestDatabase,
  type TestProducer,
} from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

describe("payments killed between a processor call and its outcome", () => {
  let orders: TestProducer;
  let database: TestDatabase;
  let db: Db;
  let payments: RpcServiceProcess | undefined;

  beforeAll(async () => {
    orders = await startTestProducer("orders");
    database = await createTestDatabase("payments_crash");
  });

  afterAll(async () => {
    await payments?.kill("SIGKILL");
    await db?.close();
    await database?.drop();
    await orders?.stop();
  });

  const count = async (sql: string, orderId: string) =>
    (await db.query<{ n: bigint }>(`SELECT count(*) AS n FROM ${sql}`, [orderId])).rows[0]!.n;

  it(
    "makes the call again after a restart and records its outcome exactly once",
    { timeout: 120_000 },
    async () => {
      const env = {
        // The test producer's event stream is for service clients: payments signs in as svc-payments.
        ...(await testIssuer()).env,
        DATABASE_URL: database.url,
        ORDERS_ADDR: orders.address,
        PAYMENTS_PROCESSOR_POLL_MS: "100",
      };
      // Each call takes 6 s: the simulator acts after 3 s, and its answer takes 3 s more. SIGKILL comes
      // in between — the processor holds the money, payments has recorded nothing but the call.
      payments = await startRpcService(new URL("./main.ts", import.meta.url), {
        ...env,
        PAYMENTS_PROCESSOR_LATENCY_MS: "6000",
        PAYMENTS_PROCESSOR_DEADLINE_MS: "8000",
      });
      db = createDb({ connectionString: database.url, max: 2 });
      const orderId = newId();
      const command = {
        orderId,
        userId: "u1",
        amount: { currencyCode: "USD", amountMinor: 4_200n },
        cardToken: "tok_visa",
      };
      await orders.service.db.tx((tx) =>
        orders.service.publish(tx, AuthorizePaymentSchema, command, { subject: orderId }),
      );
      await waitFor(
        "the processor to hold the amount",
        async () =>
          (await count("card_simulator.authorizations WHERE merchant_reference = $1", orderId)) === 1n,
      );
      await payments.kill("SIGKILL");
      expect(await count("payments WHERE order_id = $1", orderId)).toBe(0n);
      expect(await count("processor_calls WHERE order_id = $1 AND status = 'pending'", orderId)).toBe(1n);

      // A new process takes the call up once the dead one's lease ends, and makes it again.
      payments = await startRpcService(new URL("./main.ts", import.meta.url), env);
      await waitFor(
        "the outcome to be recorded",
        async () =>
          (await count("processor_calls WHERE order_id = $1 AND status = 'settled'", orderId)) === 1n,
        60_000,
      );
      const { rows } = await db.query<{ id: string; status: string; authorization_id: string }>(
        "SELECT id, status, authorization_id FROM payments WHERE order_id = $1",
        [orderId],
      );
      const held = await db.query<{ id: string }>(
        "SELECT id FROM card_simulator.authorizations WHERE merchant_reference = $1",
        [orderId],
      );
      expect(rows).toEqual([
        { id: expect.any(String), status: "authorized", authorization_id: held.rows[0]!.id },
      ]);
      expect(held.rows).toHaveLength(1);
      expect(await count("journal_entries WHERE payment_id = $1", rows[0]!.id)).toBe(1n);
      expect(
        await count("outbox WHERE subject = $1 AND type = 'tessera.payments.v1.PaymentAuthorized'", orderId),
      ).toBe(1n);
      const call = await db.query<{ attempts: number; card_token: string }>(
        "SELECT attempts, card_token FROM processor_calls WHERE order_id = $1",
        [orderId],
      );
      expect(call.rows).toEqual([{ attempts: 2, card_token: "" }]);
    },
  );
});
