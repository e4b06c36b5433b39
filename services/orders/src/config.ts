import { address, port, RpcServiceConfig, z } from "@tessera/kit";

const ms = (min: number, max: number, defaultMs: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultMs);

export const OrdersConfig = RpcServiceConfig.extend({
  GRPC_PORT: port(50054),
  /** The cart, asked for the lines and prices an order snapshots. */
  CART_ADDR: address("127.0.0.1:50052"),
  /** Deadline of the GetCart call that PlaceOrder makes. */
  CART_DEADLINE_MS: ms(10, 60_000, 2_000),
  /** Producers of the events the saga consumes (the direct transport streams their outboxes). */
  INVENTORY_ADDR: address("127.0.0.1:50053"),
  PAYMENTS_ADDR: address("127.0.0.1:50055"),
  /** How long an order waits for each answer (stock, then payment) before it is cancelled and compensated. */
  ORDERS_STEP_TIMEOUT_MS: ms(100, 3_600_000, 30_000),
  /** How often the timeout sweep looks for orders past their step's deadline. */
  ORDERS_TIMEOUT_SWEEP_MS: ms(10, 60_000, 1_000),
  /** WatchOrder streams open at once in one process; each holds memory, not a database connection. */
  ORDERS_MAX_WATCHERS: z.coerce.number().int().min(1).max(100_000).default(2_000),
  /** WatchOrder streams open at once for one user in one process (a few tabs and a retrying client). */
  ORDERS_MAX_WATCHERS_PER_USER: z.coerce.number().int().min(1).max(1_000).default(8),
});

export type OrdersConfig = z.infer<typeof OrdersConfig>;
