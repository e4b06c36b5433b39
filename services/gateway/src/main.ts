import { CartService } from "@tessera/contracts/cart/v1";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { NotificationsService } from "@tessera/contracts/notifications/v1";
import { EventsService } from "@tessera/contracts/events/v1";
import { OrdersService } from "@tessera/contracts/orders/v1";
import { createService } from "@tessera/kit";
import { buildApp } from "./app.ts";
import { GatewayConfig } from "./config.ts";
import { productCacheOf } from "./product-cache.ts";

const service = await createService({ name: "gateway", config: GatewayConfig });
const { config, log, metrics } = service;

const catalog = service.client(CatalogService, config.CATALOG_ADDR);
const cart = service.client(CartService, config.CART_ADDR);
const orders = service.client(OrdersService, config.ORDERS_ADDR);
const notifications = service.client(NotificationsService, config.NOTIFICATIONS_ADDR);
const productCache = productCacheOf(config, {
  log,
  catalogEvents: () => service.client(EventsService, config.CATALOG_ADDR, { forwardCallerToken: false }),
});
const app = await buildApp({ catalog, cart, orders, notifications, productCache, log, metrics, config });

await app.listen({ port: config.GATEWAY_PORT, host: config.GATEWAY_HOST });
service.onStop(() => app.close());
service.onStop(() => productCache?.stop());
await service.start();
