import type { Db, Logger, Service } from "@tessera/kit";
import { createTransport } from "nodemailer";
import type { NotificationsConfig } from "./config.ts";
import { recipientAddress } from "./messages.ts";
import type { NotificationStore, UnsentNotification } from "./notification-store.ts";

export interface MailerOptions {
  db: Db;
  store: NotificationStore;
  log: Logger;
  /** smtp:// or smtps:// URL of the server that takes our mail. */
  smtpUrl: string;
  /** The From header. */
  from: string;
  /** Recipients are `<user id>@<emailDomain>` (see recipientAddress). */
  emailDomain: string;
  /** Pause between two looks for messages to send; also the first retry's delay. */
  intervalMs: number;
  /** At most this many sends per look, so shutdown never waits behind a long backlog. */
  batchSize?: number;
  /** Jitter source, injectable for tests. */
  random?: () => number;
}

export interface Mailer {
  /** Starts the loop; call after `service.start()`. */
  start(): void;
  /** Sends what is due now, one message at a time; returns how many were sent. */
  sendDue(): Promise<number>;
  /** Stops the loop, aborting a send in flight (it is retried later), and closes the transport. */
  stop(): Promise<void>;
}

/**
 * E-mails the service's stored notifications when SMTP_URL is set: starts the mailer (call it after
 * `service.start()`) and stops it with the service. Without SMTP_URL messages are only stored.
 */
export function startMailer(
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
  mailer.start();
  service.onStop(() => mailer.stop());
  return mailer;
}

const maxRetryDelayMs = 5 * 60_000;

/**
 * Delay before the next attempt after `attempts` failed sends: doubling from `baseMs`, capped at
 * five minutes, with jitter so that many messages failing together do not retry together.
 */
export function mailRetryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random) {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), maxRetryDelayMs);
  return Math.round(exponential * (0.5 + random() / 2));
}

/**
 * The outbox-style mailer: every `intervalMs` it sends the stored messages not yet e-mailed. Each
 * message is locked, sent and marked emailed in one transaction, so a message that was sent is
 * never picked again, and concurrent mailers (replicas) never send the same message at once. A
 * failed send records the error and a backed-off next attempt instead.
 *
 * Delivery is at-least-once: if the process dies (or the database fails) after the SMTP server
 * accepted a message but before the transaction marking it commits, it is sent again. The
 * Message-ID header is the notification id, so a receiving system can tell the copies apart.
 */
export function createMailer(options: MailerOptions): Mailer {
  const { db, store, log, intervalMs, batchSize = 50, random = Math.random } = options;
  const transport = createTransport(
    // Bounded waits: the message's row stays locked while its send runs.
    { url: options.smtpUrl, connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 15_000 },
    { from: options.from },
  );
  const aborter = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function send(notification: UnsentNotification): Promise<void> {
    await transport.sendMail({
      to: recipientAddress(notification.userId, options.emailDomain),
      subject: notification.subject,
      text: notification.body,
      messageId: `<${notification.id}@notifications.tessera>`,
      signal: aborter.signal,
    });
  }

  /** Sends the next due message; "idle" when there is none. */
  function sendNext(): Promise<"sent" | "failed" | "idle"> {
    return db.tx(async (tx) => {
      const notification = await store.lockNextUnsent(tx);
      if (!notification) return "idle";
      try {
        await send(notification);
      } catch (error) {
        const attempts = notification.mailAttempts + 1;
        const retryInMs = mailRetryDelayMs(attempts, intervalMs, random);
        await store.recordMailFailure(tx, notification.id, errorText(error), retryInMs);
        log.warn(
          { err: error, "notification.id": notification.id, attempts, "retry.in_ms": retryInMs },
          "e-mail not sent; will retry",
        );
        return "failed";
      }
      // Same transaction as the lock: once this commits, no mailer picks the message again.
      await store.markEmailed(tx, notification.id);
      return "sent";
    });
  }

  async function sendDue(): Promise<number> {
    let sent = 0;
    while (!stopped && sent < batchSize) {
      const outcome = await sendNext();
      // After a failure, the others wait for the next look: the server is likely down for them too.
      if (outcome !== "sent") break;
      sent++;
    }
    return sent;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sendDue()
        .catch((error: unknown) => log.error({ err: error }, "mailer pass failed"))
        .finally(schedule);
    }, intervalMs);
  }

  return {
    start() {
      log.info({ "mail.interval_ms": intervalMs }, "mailer started");
      schedule();
    },
    sendDue,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      aborter.abort(new Error("the notifications service is stopping"));
      await running;
      transport.close();
    },
  };
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? `${code}: ${error.message}` : error.message;
}
