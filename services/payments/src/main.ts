import { createPayments } from "./wiring.ts";

const { service } = await createPayments();
await service.start();
