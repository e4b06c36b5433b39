import { createCart } from "./wiring.ts";

const { service } = await createCart();
await service.start();
