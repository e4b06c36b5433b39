import { flag, port, RpcServiceConfig } from "@tessera/kit";

export const CatalogConfig = RpcServiceConfig.extend({
  GRPC_PORT: port(50051),
  /** Seed the demo products on start (idempotent: existing SKUs are left alone). */
  CATALOG_SEED: flag(true),
});
