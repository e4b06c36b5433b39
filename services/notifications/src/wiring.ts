import { NotificationsService } from "@tessera/contracts/notifications/v1";
import { createService, type Service } from "@tessera/kit";
import { NotificationsConfig } from "./config.ts";
import { createMailer, type Mailer } from "./mailer.ts";
import { NotificationStore } from "./notification-store.ts";
import { Notifications } from "./notifications.ts";
import { orderOutcomeEvents, recordOrderOutcome } from "./order-outcomes.ts";
import { notificationsHandlers } from "./rpc.ts";

/**
 * The notifications service, wired: order outcomes stored as messages, listed over gRPC, and
 * e-mailed when SMTP_URL is set. `main.ts` starts it; so do the tests.
 */
export async function createNotifications(options: { env?: Record<string, string | undefined> } = {}) {
  const service = await createService({
    name: "notifications",
    config: NotificationsConfig,
    database: { migrations: new URL("../migrations", import.meta.url) },
    producers: { orders: (config) => config.ORDERS_ADDR },
    env: options.env,
  });
  const store = new NotificationStore(service.db);
  service.serve(NotificationsService, notificationsHandlers(new Notifications(store, service.pageTokenKey)));
  service.subscribe("order-outcomes", orderOutcomeEvents, recordOrderOutcome(store, service.log));
  const mailer = mailStoredNotifications(service, store);
  return { service, store, mailer };
}

/**
 * E-mails the stored notifications when SMTP_URL is set: a periodic job, so it first runs once the
 * service started (migrations ran), and stopping aborts the send in flight before the transport
 * closes. Without SMTP_URL messages are only stored.
 */
function mailStoredNotifications(
  service: Service<NotificationsConfig>,
  store: NotificationStore,
): Mailer | undefined {
  const { config, log } = service;
  if (!config.SMTP_URL) {
    log.info("SMTP_URL is not set: notifications are stored, not e-mailed");
    return undefined;
  }
  const mailer = createMailer({
    db: service.db,
    store,
    log,
    smtpUrl: config.SMTP_URL,
    from: config.NOTIFICATIONS_FROM,
    emailDomain: config.NOTIFICATIONS_EMAIL_DOMAIN,
    intervalMs: config.NOTIFICATIONS_MAIL_INTERVAL_MS,
  });
  service.every("mailer", config.NOTIFICATIONS_MAIL_INTERVAL_MS, (signal) => mailer.sendDue(signal));
  // Stop hooks run after the periodic jobs stopped: no send is in flight by then.
  service.onStop(() => mailer.close());
  log.info({ "mail.interval_ms": config.NOTIFICATIONS_MAIL_INTERVAL_MS }, "notifications are e-mailed");
  return mailer;
}
