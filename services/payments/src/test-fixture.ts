import { create } from "@bufbuild/protobuf";
import {
  AuthorizePaymentSchema,
  CapturePaymentSchema,
  VoidPaymentSchema,
  type AuthorizePayment,
  type CapturePayment,
  type VoidPayment,
} from "@tessera/contracts/orders/v1";
import { PaymentsService } from "@tessera/contracts/payments/v1";
import { createService, newId, type EventEnvelope, type Service } from "@tessera/kit";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { PaymentsConfig } from "./config.ts";
import { LedgerStore } from "./ledger-store.ts";
import { PaymentQueries } from "./payment-queries.ts";
import { PaymentStore } from "./payment-store.ts";
import { ProcessorSimulator, type SimulatorOptions } from "./processor-simulator.ts";
import { Refunds } from "./refunds.ts";
import { paymentsHandlers } from "./rpc.ts";
import { SagaCommands, sagaCommandTypes } from "./saga-commands.ts";

/** The payments service wired as main.ts wires it, on a fresh test database, with a simulator to inspect. */
export interface TestPayments {
  service: Service<unknown>;
  database: TestDatabase;
  processor: ProcessorSimulator;
  commands: SagaCommands;
  payments: PaymentStore;
  ledger: LedgerStore;
  rpcPort: number;
  stop(): Promise<void>;
}

export async function startTestPayments(
  options: { env?: Record<string, string>; subscribe?: boolean; processor?: SimulatorOptions } = {},
): Promise<TestPayments> {
  const database = await createTestDatabase("payments");
  const service = await createService({
    name: "payments",
    config: PaymentsConfig,
    migrations: new URL("../migrations", import.meta.url),
    env: {
      DATABASE_URL: database.url,
      GRPC_PORT: "0",
      GRPC_HOST: "127.0.0.1",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      PAYMENTS_PROCESSOR_DEADLINE_MS: "150",
      ...options.env,
    },
  });
  const processor = new ProcessorSimulator(options.processor);
  const deps = {
    payments: new PaymentStore(service.db),
    ledger: new LedgerStore(service.db),
    processor,
    publish: service.publish,
    log: service.log,
    processorDeadlineMs: service.config.PAYMENTS_PROCESSOR_DEADLINE_MS,
  };
  const commands = new SagaCommands(deps);
  service.serve(
    PaymentsService,
    paymentsHandlers(new PaymentQueries(deps.payments, deps.ledger), new Refunds(service.db, deps)),
  );
  if (options.subscribe) service.subscribe("saga-commands", sagaCommandTypes, commands.handle);
  const { rpcPort } = await service.start();
  return {
    service,
    database,
    processor,
    commands,
    payments: deps.payments,
    ledger: deps.ledger,
    rpcPort,
    async stop() {
      await service.stop();
      await database.drop();
    },
  };
}

type Command = AuthorizePayment | CapturePayment | VoidPayment;

/** Hands a saga command to the subscription handler in a transaction, as the event bus does. */
export async function deliver(payments: TestPayments, data: Command): Promise<void> {
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
