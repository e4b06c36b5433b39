import { PaymentsService } from "@tessera/contracts/payments/v1";
import { createService } from "@tessera/kit";
import { CallSettlement } from "./call-settlement.ts";
import type { CardProcessor } from "./card-processor.ts";
import { PaymentsConfig } from "./config.ts";
import { LedgerStore } from "./ledger-store.ts";
import { PaymentQueries } from "./payment-queries.ts";
import { PaymentStore } from "./payment-store.ts";
import { ProcessorCallStore } from "./processor-call-store.ts";
import { createProcessorCalls } from "./processor-calls.ts";
import { ProcessorSimulator } from "./processor-simulator.ts";
import { Refunds } from "./refunds.ts";
import { paymentsHandlers } from "./rpc.ts";
import { SagaCommands, sagaCommandTypes } from "./saga-commands.ts";

export interface CreatePaymentsOptions {
  /** The environment to read; `process.env` when omitted (a bad value then exits the process). */
  env?: Record<string, string | undefined>;
  /** Tests: stands in for the processor, usually around the simulator; `databaseUrl` is the service's. */
  processor?: (simulator: ProcessorSimulator, databaseUrl: string) => CardProcessor;
}

/**
 * Builds the payments service: the RPC handlers, the saga-commands subscription, the processor-call
 * worker and the card processor simulator (state in the service's database, schema
 * card_simulator). main.ts calls this, and so do the tests; the caller starts the service.
 */
export async function createPayments({ env, processor: standIn }: CreatePaymentsOptions = {}) {
  const service = await createService({
    name: "payments",
    config: PaymentsConfig,
    database: { migrations: new URL("../migrations", import.meta.url) },
    producers: { orders: (config) => config.ORDERS_ADDR },
    env,
  });
  const { config, db, log } = service;
  const simulator = new ProcessorSimulator({
    connectionString: config.DATABASE_URL,
    latencyMs: config.PAYMENTS_PROCESSOR_LATENCY_MS,
    failureRate: config.PAYMENTS_PROCESSOR_FAILURE_RATE,
    log,
  });
  const processor = standIn?.(simulator, config.DATABASE_URL) ?? simulator;
  const payments = new PaymentStore(db);
  const ledger = new LedgerStore(db);
  const calls = new ProcessorCallStore(db);
  // Long enough for an authorization and its technical cancel; a crashed worker's calls wait this long.
  const leaseMs = config.PAYMENTS_PROCESSOR_DEADLINE_MS + 2_000;
  const refunded = service.metrics.counter(
    "payments_refunded_minor_total",
    "Money refunded to customers, in minor units of its currency.",
    ["currency"],
  );
  const settlement = new CallSettlement({
    db,
    payments,
    ledger,
    calls,
    processor,
    publish: service.publish,
    log,
    processorDeadlineMs: config.PAYMENTS_PROCESSOR_DEADLINE_MS,
    leaseMs,
    onRefunded: (amount) => refunded.inc({ currency: amount.currency }, Number(amount.amountMinor)),
  });
  const worker = createProcessorCalls({
    connectionString: config.DATABASE_URL,
    store: calls,
    settle: settlement.settle,
    concurrency: config.PAYMENTS_PROCESSOR_CONCURRENCY,
    leaseMs,
    pollMs: config.PAYMENTS_PROCESSOR_POLL_MS,
    retryBaseMs: config.PAYMENTS_PROCESSOR_RETRY_MS,
    log,
    metrics: service.metrics,
  });
  const commands = new SagaCommands({ payments, calls, publish: service.publish, log });
  const refunds = new Refunds({
    db,
    payments,
    calls,
    waitMs: 2 * config.PAYMENTS_PROCESSOR_DEADLINE_MS + 1_000,
  });

  service.serve(
    PaymentsService,
    paymentsHandlers(new PaymentQueries(payments, ledger, service.pageTokenKey), refunds),
  );
  service.subscribe("saga-commands", sagaCommandTypes, commands.handle);
  service.beforeServing(() => simulator.start());
  service.beforeServing(() => worker.start());
  // Stop hooks run in reverse: the worker stops before the simulator closes.
  service.onStop(() => simulator.close());
  service.onStop(() => worker.stop());
  return { service, simulator, commands, payments, ledger, calls };
}

export type PaymentsWiring = Awaited<ReturnType<typeof createPayments>>;
