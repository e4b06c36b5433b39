import { createOrders } from "./wiring.ts";

const { service } = await createOrders();
await service.start();
