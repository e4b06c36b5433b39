import { NotificationsService } from "@tessera/contracts/notifications/v1";
import { createService } from "@tessera/kit";
import { NotificationsConfig } from "./config.ts";
import { startMailer } from "./mailer.ts";
import { NotificationStore } from "./notification-store.ts";
import { Notifications } from "./notifications.ts";
import { orderOutcomeEvents, recordOrderOutcome } from "./order-outcomes.ts";
import { notificationsHandlers } from "./rpc.ts";

const service = await createService({
  name: "notifications",
  config: NotificationsConfig,
  database: { migrations: new URL("../migrations", import.meta.url) },
  producers: { orders: (config) => config.ORDERS_ADDR },
});
const store = new NotificationStore(service.db);
service.serve(NotificationsService, notificationsHandlers(new Notifications(store)));
service.subscribe("order-outcomes", orderOutcomeEvents, recordOrderOutcome(store, service.log));
await service.start();
// After start: e-mails go out only once migrations ran; stopped with the service (onStop).
startMailer(service, store);
