import { CartService } from "@tessera/contracts/cart/v1";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { OrderPlacedSchema } from "@tessera/contracts/orders/v1";
import { createService } from "@tessera/kit";
import { Carts } from "../carts.ts";
import { catalogProducts } from "../catalog-products.ts";
import { CartConfig } from "../config.ts";
import { createCartStore } from "../create-cart-store.ts";
import { takeOrderFromCart } from "../order-placed.ts";
import { cartHandlers } from "../rpc.ts";

/** The cart service wired as in main.ts, in this process, on `env` and free ports. */
export async function startCartService(env: Record<string, string>) {
  const service = await createService({
    name: "cart",
    config: CartConfig,
    database: { migrations: new URL("../../migrations", import.meta.url) },
    producers: { orders: (config) => config.ORDERS_ADDR },
    env: {
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      EVENTS_RETRY_BASE_MS: "5",
      ...env,
    },
  });
  const catalog = service.client(CatalogService, service.config.CATALOG_ADDR, {
    deadlineMs: service.config.CART_CATALOG_DEADLINE_MS,
  });
  const store = createCartStore(service);
  const carts = new Carts(store, catalogProducts(catalog));
  service.serve(CartService, cartHandlers(carts));
  service.subscribe("order-placed", [OrderPlacedSchema], takeOrderFromCart(carts));
  const { rpcPort } = await service.start();
  return { service, store, carts, address: `127.0.0.1:${rpcPort}` };
}
