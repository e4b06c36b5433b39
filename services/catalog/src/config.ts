import { RpcServiceConfig, z } from "@tessera/kit";

export const CatalogConfig = RpcServiceConfig.extend({
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50051),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }),
  /** Seed the demo products on start (idempotent: existing SKUs are left alone). */
  CATALOG_SEED: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
});
