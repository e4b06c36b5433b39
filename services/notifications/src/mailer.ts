import { backoffDelay, type Db, type Logger } from "@tessera/kit";
import { createTransport } from "nodemailer";
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
  /** How often the mailer runs; also the first retry's delay of a message that failed. */
  intervalMs: number;
  /** At most this many sends per run, so shutdown never waits behind a long backlog. */
  batchSize?: number;
}

export interface Mailer {
  /**
   * Sends what is due now, one message at a time; returns how many were sent. `signal` aborts the
   * send in flight (it is retried later) and ends the run: the service's periodic job passes its own.
   */
  sendDue(signal?: AbortSignal): Promise<number>;
  /** Closes the SMTP transport, once no run is in flight. */
  close(): void;
}

const maxRetryDelayMs = 5 * 60_000;

/**
 * Delay before the next attempt after `attempts` failed sends: the kit's backoff from `intervalMs`,
 * capped at five minutes, jittered so that many messages failing together do not retry together.
 */
export function mailRetryDelayMs(attempts: number, intervalMs: number): number {
  return backoffDelay(attempts, { initialMs: intervalMs, maxMs: maxRetryDelayMs });
}

/**
 * The outbox-style mailer: each run sends the stored messages not yet e-mailed. Each
 * message is locked, sent and marked emailed in one transaction, so a message that was sent is
 * never picked again, and concurrent mailers (replicas) never send the same message at once. A
 * failed send records the error and a backed-off next attempt instead.
 *
 * Delivery is at-least-once: if the process dies (or the database fails) after the SMTP server
 * accepted a message but before the transaction marking it commits, it is sent again. The
 * Message-ID header is the notification id, so a receiving system can tell the copies apart.
 */
export function createMailer(options: MailerOptions): Mailer {
  const { db, store, log, intervalMs, batchSize = 50 } = options;
  const transport = createTransport(
    // Bounded waits: the message's row stays locked while its send runs.
    { url: options.smtpUrl, connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 15_000 },
    { from: options.from },
  );

  async function send(notification: UnsentNotification, signal: AbortSignal | undefined): Promise<void> {
    await transport.sendMail({
      to: recipientAddress(notification.userId, options.emailDomain),
      subject: notification.subject,
      text: notification.body,
      messageId: `<${notification.id}@notifications.tessera>`,
      signal,
    });
  }

  /** Sends the next due message; "idle" when there is none. */
  function sendNext(signal: AbortSignal | undefined): Promise<"sent" | "failed" | "idle"> {
    return db.tx(async (tx) => {
      const notification = await store.lockNextUnsent(tx);
      if (!notification) return "idle";
      try {
        await send(notification, signal);
      } catch (error) {
        const attempts = notification.mailAttempts + 1;
        const retryInMs = mailRetryDelayMs(attempts, intervalMs);
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

  return {
    async sendDue(signal) {
      let sent = 0;
      while (!signal?.aborted && sent < batchSize) {
        const outcome = await sendNext(signal);
        // After a failure, the others wait for the next run: the server is likely down for them too.
        if (outcome !== "sent") break;
        sent++;
      }
      return sent;
    },
    close() {
      transport.close();
    },
  };
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? `${code}: ${error.message}` : error.message;
}
