import { address, port, RpcServiceConfig, z } from "@tessera/kit";

export const NotificationsConfig = RpcServiceConfig.extend({
  GRPC_PORT: port(50056),
  /** The orders service, whose outbox the direct transport streams OrderConfirmed/Rejected/Cancelled from. */
  ORDERS_ADDR: address("127.0.0.1:50054"),
  /** SMTP server to e-mail notifications through, e.g. smtp://127.0.0.1:2525; unset: stored only. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: "must be an smtp:// or smtps:// URL" }).optional(),
  /**
   * Recipients are `<user id>@<this domain>`: identity holds users' e-mail addresses, but
   * notifications does not ask it for them yet, so the address is derived from the user id (a
   * UUID, always a valid local part).
   */
  NOTIFICATIONS_EMAIL_DOMAIN: z
    .string()
    .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, {
      error: "must be a domain name",
    })
    .default("example.test"),
  /** The From header of every e-mail. */
  NOTIFICATIONS_FROM: z.string().min(3).max(200).default("Tessera <orders@tessera.local>"),
  /**
   * How often the mailer looks for messages to send; also about the first retry's delay of a message
   * that failed, the kit's backoff growing it from there up to five minutes.
   */
  NOTIFICATIONS_MAIL_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(1_000),
});

export type NotificationsConfig = z.infer<typeof NotificationsConfig>;
