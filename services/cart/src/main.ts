import { CartService } from "@tessera/contracts/cart/v1";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { OrderPlacedSchema } from "@tessera/contracts/orders/v1";
import { createService } from "@tessera/kit";
import { Carts } from "./carts.ts";
import { catalogProducts } from "./catalog-products.ts";
import { CartConfig } from "./config.ts";
import { createCartStore } from "./create-cart-store.ts";
import { takeOrderFromCart } from "./order-placed.ts";
import { cartHandlers } from "./rpc.ts";

// The database is there in every mode: the inbox that makes OrderPlaced apply once lives in it.
const service = await createService({
  name: "cart",
  config: CartConfig,
  database: { migrations: new URL("../migrations", import.meta.url) },
  producers: { orders: (config) => config.ORDERS_ADDR },
});
const catalog = service.client(CatalogService, service.config.CATALOG_ADDR, {
  deadlineMs: service.config.CART_CATALOG_DEADLINE_MS,
});
const carts = new Carts(createCartStore(service), catalogProducts(catalog));
service.serve(CartService, cartHandlers(carts));
service.subscribe("order-placed", [OrderPlacedSchema], takeOrderFromCart(carts));
await service.start();
