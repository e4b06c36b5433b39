import { createCatalog } from "./wiring.ts";

const { service } = await createCatalog();
await service.start();
