import { createNotifications } from "./wiring.ts";

const { service } = await createNotifications();
await service.start();
