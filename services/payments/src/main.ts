import { PaymentsService } from "@tessera/contracts/payments/v1";
import { createService } from "@tessera/kit";
import { PaymentsConfig } from "./config.ts";
import { LedgerStore } from "./ledger-store.ts";
import { PaymentQueries } from "./payment-queries.ts";
import { PaymentStore } from "./payment-store.ts";
import { ProcessorSimulator } from "./processor-simulator.ts";
import { Refunds } from "./refunds.ts";
import { paymentsHandlers } from "./rpc.ts";
import { SagaCommands, sagaCommandTypes } from "./saga-commands.ts";

const service = await createService({
  name: "payments",
  config: PaymentsConfig,
  migrations: new URL("../migrations", import.meta.url),
});
const { config } = service;
const deps = {
  payments: new PaymentStore(service.db),
  ledger: new LedgerStore(service.db),
  processor: new ProcessorSimulator({
    latencyMs: config.PAYMENTS_PROCESSOR_LATENCY_MS,
    failureRate: config.PAYMENTS_PROCESSOR_FAILURE_RATE,
  }),
  publish: service.publish,
  log: service.log,
  processorDeadlineMs: config.PAYMENTS_PROCESSOR_DEADLINE_MS,
};
service.serve(
  PaymentsService,
  paymentsHandlers(new PaymentQueries(deps.payments, deps.ledger), new Refunds(service.db, deps)),
);
service.subscribe("saga-commands", sagaCommandTypes, new SagaCommands(deps).handle);
await service.start();
