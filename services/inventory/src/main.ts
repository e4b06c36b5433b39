import { createInventory } from "./wiring.ts";

const { service } = await createInventory();
await service.start();
