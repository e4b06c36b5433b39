// Test support (imported by tests only): payments as main.ts wires it, on a test database.
import { nowhere, startTestService, type TestDatabase } from "@tessera/kit/testing";
import type { ProcessorSimulator } from "../processor-simulator.ts";
import { createPayments, type CreatePaymentsOptions, type PaymentsWiring } from "../wiring.ts";

/** Payments of `createPayments`, started, with its simulator to inspect. */
export interface TestPayments extends Omit<PaymentsWiring, "simulator"> {
  database: TestDatabase;
  processor: ProcessorSimulator;
  rpcPort: number;
  /** Stops the service and starts a new one on the same database (a restart). */
  restart(): Promise<TestPayments>;
  /** Stops the service and drops its database. */
  stop(): Promise<void>;
}

export interface TestPaymentsOptions extends Omit<CreatePaymentsOptions, "env"> {
  env?: Record<string, string>;
  /** Starts on this database instead of a new one. */
  database?: TestDatabase;
}

/**
 * Starts the payments of `createPayments` on a fresh test database (or `options.database`), with
 * short processor deadlines and retries. Its subscription finds no producer unless `env` names one
 * (ORDERS_ADDR): most tests hand commands to the handler themselves (`deliver`).
 */
export async function startTestPayments(options: TestPaymentsOptions = {}): Promise<TestPayments> {
  const started = await startTestService(
    "payments",
    (env) => createPayments({ env, processor: options.processor }),
    {
      ORDERS_ADDR: nowhere,
      PAYMENTS_PROCESSOR_DEADLINE_MS: "150",
      PAYMENTS_PROCESSOR_RETRY_MS: "20",
      PAYMENTS_PROCESSOR_POLL_MS: "100",
      ...options.env,
    },
    { database: options.database },
  );
  const { simulator, database, ...rest } = started;
  return {
    ...rest,
    database,
    processor: simulator,
    async restart() {
      await rest.service.stop();
      return startTestPayments({ ...options, database });
    },
    async stop() {
      await rest.service.stop();
      await database.drop();
    },
  };
}
