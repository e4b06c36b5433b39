import { address, DatabaseConfig, port, RpcServiceConfig, z } from "@tessera/kit";

export const PaymentsConfig = RpcServiceConfig.extend({
  GRPC_PORT: port(50055),
  ...DatabaseConfig.shape,
  /** The orders service, whose saga commands payments consumes (direct transport: its outbox stream). */
  ORDERS_ADDR: address("127.0.0.1:50054"),
  /** Latency the card processor simulator adds to every call. */
  PAYMENTS_PROCESSOR_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** Share of simulator calls, 0 to 1, that fail transiently (before or after acting); retries never charge twice. */
  PAYMENTS_PROCESSOR_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** How long a processor call may take; an authorization without an answer by then is cancelled and declined. */
  PAYMENTS_PROCESSOR_DEADLINE_MS: z.coerce.number().int().min(1).max(60_000).default(2_000),
  /** Processor calls in flight at once, per replica (a bulkhead); authorizations of different orders overlap. */
  PAYMENTS_PROCESSOR_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(32),
  /** Delay before the first retry of a call that failed transiently; doubling, jittered, at most 30 s. */
  PAYMENTS_PROCESSOR_RETRY_MS: z.coerce.number().int().min(1).max(60_000).default(500),
  /** How often pending calls are looked for besides the wake-up on each new one: retries, a crashed replica's calls. */
  PAYMENTS_PROCESSOR_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
});
