import { createIdentity } from "./wiring.ts";

const { service } = await createIdentity();
await service.start();
