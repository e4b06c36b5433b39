import { createService } from "@tessera/kit";
import { PaymentsConfig } from "./config.ts";
import { createPayments } from "./wiring.ts";

const service = await createService({
  name: "payments",
  config: PaymentsConfig,
  migrations: new URL("../migrations", import.meta.url),
});
createPayments(service);
await service.start();
