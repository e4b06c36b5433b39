import { create } from "@bufbuild/protobuf";
import {
  AuthorizePaymentSchema,
  CapturePaymentSchema,
  VoidPaymentSchema,
  type AuthorizePayment,
  type CapturePayment,
  type VoidPayment,
} from "@tessera/contracts/orders/v1";
import { createService, newId, type EventEnvelope, type Service } from "@tessera/kit";
import { createTestDatabase, waitFor, type TestDatabase } from "@tessera/kit/testing";
import { PaymentsConfig } from "./config.ts";
import type { LedgerStore } from "./ledger-store.ts";
import type { PaymentStore } from "./payment-store.ts";
import type { ProcessorCallStore } from "./processor-call-store.ts";
import type { ProcessorSimulator } from "./processor-simulator.ts";
import type { SagaCommands } from "./saga-commands.ts";
import { createPayments, type PaymentsOptions } from "./wiring.ts";

/** The payments service wired as main.ts wires it, on a test database, with its simulator to inspect. */
export interface TestPayments {
  service: Service<unknown>;
  database: TestDatabase;
  processor: ProcessorSimulator;
  commands: SagaCommands;
  payments: PaymentStore;
  ledger: LedgerStore;
  calls: ProcessorCallStore;
  rpcPort: number;
  /** Stops the service and starts a new one on the same database (a restart). */
  restart(): Promise<TestPayments>;
  /** Stops the service and drops its database. */
  stop(): Promise<void>;
}

export interface TestPaymentsOptions extends PaymentsOptions {
  env?: Record<string, string>;
  /** Starts on this database instead of a new one. */
  database?: TestDatabase;
}

export async function startTestPayments(options: TestPaymentsOptions = {}): Promise<TestPayments> {
  const database = options.database ?? (await createTestDatabase("payments"));
  const service = await createService({
    name: "payments",
    config: PaymentsConfig,
    database: { migrations: new URL("../migrations", import.meta.url) },
    producers: { orders: (config) => config.ORDERS_ADDR },
    env: {
      DATABASE_URL: database.url,
      GRPC_PORT: "0",
      GRPC_HOST: "127.0.0.1",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      PAYMENTS_PROCESSOR_DEADLINE_MS: "150",
      PAYMENTS_PROCESSOR_RETRY_MS: "20",
      PAYMENTS_PROCESSOR_POLL_MS: "100",
      ...options.env,
    },
  });
  const payments = createPayments(service, { subscribe: false, ...options });
  const { rpcPort } = await service.start();
  return {
    service,
    database,
    processor: payments.simulator,
    commands: payments.commands,
    payments: payments.payments,
    ledger: payments.ledger,
    calls: payments.calls,
    rpcPort,
    async restart() {
      await service.stop();
      return startTestPayments({ ...options, database });
    },
    async stop() {
      await service.stop();
      await database.drop();
    },
  };
}

type Command = AuthorizePayment | CapturePayment | VoidPayment;

/**
 * Hands a saga command to the subscription handler in a transaction, as the event bus does, then
 * waits until the processor calls it recorded are made and their outcomes recorded (`settle: false`
 * returns once the command is applied).
 */
export async function deliver(
  payments: TestPayments,
  data: Command,
  { settle = true }: { settle?: boolean } = {},
): Promise<void> {
  const envelope: EventEnvelope = {
    id: newId(),
    type: data.$typeName,
    source: "orders",
    subject: data.orderId,
    time: new Date(),
    datacontenttype: "application/json",
    schemaVersion: 1,
    data: {},
    traceparent: "",
    position: 0n,
  };
  // The union of the three commands is one of the handler's three event shapes; TypeScript cannot see it.
  const event = { envelope, data } as Parameters<SagaCommands["handle"]>[0];
  await payments.service.db.tx((tx) => payments.commands.handle(event, tx));
  if (settle) await settled(payments, data.orderId);
}

/** Waits until no processor call of the order is pending. */
export async function settled(payments: TestPayments, orderId: string): Promise<void> {
  await waitFor(
    `the processor calls of order ${orderId}`,
    async () => (await payments.calls.countPending(orderId)) === 0,
  );
}

export const authorizePayment = (init: {
  orderId: string;
  amountMinor?: bigint;
  cardToken?: string;
  userId?: string;
  currency?: string;
}) =>
  create(AuthorizePaymentSchema, {
    orderId: init.orderId,
    userId: init.userId ?? "user-1",
    amount: { currencyCode: init.currency ?? "USD", amountMinor: init.amountMinor ?? 4_500n },
    cardToken: init.cardToken ?? "tok_visa_approve",
  });

export const capturePayment = (orderId: string) => create(CapturePaymentSchema, { orderId });
export const voidPayment = (orderId: string) =>
  create(VoidPaymentSchema, { orderId, reason: "saga compensation" });

/** The events payments published about an order, oldest first. */
export async function publishedEvents(payments: TestPayments, orderId: string) {
  const { rows } = await payments.service.db.query<{ type: string; data: Record<string, unknown> }>(
    "SELECT type, data FROM outbox WHERE subject = $1 ORDER BY id_seq",
    [orderId],
  );
  return rows.map((row) => ({ type: row.type.replace("tessera.payments.v1.", ""), data: row.data }));
}
