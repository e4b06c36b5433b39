import { address, port, RpcServiceConfig, z } from "@tessera/kit";

export const PaymentsConfig = RpcServiceConfig.extend({
  GRPC_PORT: port(50055),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }),
  /** The orders service, whose saga commands payments consumes (direct transport: its outbox stream). */
  ORDERS_ADDR: address("127.0.0.1:50054"),
  /** Latency the card processor simulator adds to every call. */
  PAYMENTS_PROCESSOR_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** Share of simulator calls, 0 to 1, that fail transiently (before or after acting); retries never charge twice. */
  PAYMENTS_PROCESSOR_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** How long a processor call may take; an authorization without an answer by then is cancelled and declined. */
  PAYMENTS_PROCESSOR_DEADLINE_MS: z.coerce.number().int().min(1).max(60_000).default(2_000),
});
