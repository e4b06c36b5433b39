import { CatalogService } from "@tessera/contracts/catalog/v1";
import { createService } from "@tessera/kit";
import { buildApp } from "./app.ts";
import { GatewayConfig } from "./config.ts";

const service = await createService({ name: "gateway", config: GatewayConfig });
const { config, log, metrics } = service;

const catalog = service.client(CatalogService, config.CATALOG_ADDR);
const app = await buildApp({ catalog, log, metrics, config });

await app.listen({ port: config.GATEWAY_PORT, host: config.GATEWAY_HOST });
service.onStop(() => app.close());
await service.start();
