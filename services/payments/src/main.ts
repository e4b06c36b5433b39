import { createService } from "@tessera/kit";
import { PaymentsConfig } from "./config.ts";
import { createPayments } from "./wiring.ts";

const service = await createService({
  name: "payments",
  config: PaymentsConfig,
  database: { migrations: new URL("../migrations", import.meta.url) },
  producers: { orders: (config) => config.ORDERS_ADDR },
});
createPayments(service);
await service.start();
