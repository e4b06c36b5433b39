import { address, port, RpcServiceConfig, z } from "@tessera/kit";

export const InventoryConfig = RpcServiceConfig.extend({
  GRPC_PORT: port(50053),
  /** The orders service, whose outbox carries the saga's ReserveStock/ReleaseStock/CommitStock (direct transport). */
  ORDERS_ADDR: address("127.0.0.1:50054"),
  /** The catalog, whose ProductChanged events seed the stock of new products (direct transport). */
  CATALOG_ADDR: address("127.0.0.1:50051"),
  /** Units a new catalog product starts with. */
  INVENTORY_INITIAL_STOCK: z.coerce.number().int().min(0).max(1_000_000).default(100),
  /** How long a reservation holds its units when ReserveStock does not say (15 minutes). */
  INVENTORY_RESERVATION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .default(900),
  /** How often expired reservations are released. */
  INVENTORY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(5_000),
});

export type InventoryConfig = z.infer<typeof InventoryConfig>;
