import { BaseConfig, isHostPort, port, z } from "./config.ts";

/** The config of a service that serves RPCs: the base settings and where the gRPC server listens. */
export const RpcServiceConfig = BaseConfig.extend({
  GRPC_HOST: z.string().default("127.0.0.1"),
  /** A service's own schema overrides this with its reserved port: `GRPC_PORT: port(50053)`. */
  GRPC_PORT: port(0),
});

/** Where the gRPC server listens, read back from any service config (loopback and a free port when absent). */
export const RpcListenSettings = z.object({
  GRPC_HOST: z.string().default("127.0.0.1"),
  GRPC_PORT: z.number().int().min(0).max(65535).default(0),
});

/** A service with a database: the kit reads this itself when `createService` is given `database`. */
export const DatabaseConfig = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }),
});

/** How a service's events travel; the kit reads this itself for every service with a database. */
export const EventsConfig = z
  .object({
    /** Straight from the producer's outbox (embedded), through NATS JetStream, or through Kafka. */
    EVENTS_TRANSPORT: z.enum(["direct", "nats", "kafka"]).default("direct"),
    NATS_URL: z
      .string()
      .regex(/^nats:\/\/[^\s]+$/, "must be a nats:// URL")
      .default("nats://127.0.0.1:4222"),
    /** Kafka bootstrap brokers, `host:port,host:port`; required when EVENTS_TRANSPORT=kafka. */
    KAFKA_BROKERS: z
      .string()
      .transform((value) => value.split(",").map((broker) => broker.trim()))
      .refine((brokers) => brokers.every(isHostPort), "must be a comma-separated list of host:port")
      .optional(),
    /** Partitions of each Kafka topic the transport creates: the most replicas of one subscription that get work. */
    EVENTS_KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1_000).default(3),
    /** Prefix of NATS stream names and subjects, of Kafka topics and consumer groups. */
    EVENTS_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,30}$/i, "must be a short identifier")
      .default("tessera"),
    /** Handler attempts before an event is dead-lettered, and the first retry's delay (then the kit's backoff). */
    EVENTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
    EVENTS_RETRY_BASE_MS: z.coerce.number().int().min(0).max(60_000).default(50),
    /** NATS: how long a delivered, unacknowledged event waits before the server redelivers it (a crashed replica's). */
    EVENTS_ACK_WAIT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(10_000),
    /** How long delivered outbox rows are kept (7 days); a known direct consumer's unacknowledged rows stay longer. */
    EVENTS_OUTBOX_RETENTION_MS: z.coerce.number().int().min(1).default(604_800_000),
    /** How long the event transport may fail (broker down, relay failing) before `/readyz` says not ready. */
    EVENTS_UNHEALTHY_AFTER_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  })
  .refine((config) => config.EVENTS_TRANSPORT !== "kafka" || config.KAFKA_BROKERS !== undefined, {
    path: ["KAFKA_BROKERS"],
    message: "is required when EVENTS_TRANSPORT=kafka",
  });

export type EventsSettings = z.infer<typeof EventsConfig>;

/**
 * How RPCs are authenticated; the kit reads this itself for every service, and a service without it
 * does not start. Every call to the service needs a valid access token of AUTH_ISSUER, and the
 * service's calls outside a caller's request carry its own (client credentials: AUTH_CLIENT_ID, by
 * default `svc-<service name>`, and AUTH_CLIENT_SECRET).
 */
export const AuthConfig = z.object({
  AUTH_ISSUER: z.url(),
  AUTH_JWKS_URL: z.url().default("http://127.0.0.1:8090/oidc/jwks"),
  AUTH_AUDIENCE: z.string().min(1).default("urn:tessera:api"),
  AUTH_TOKEN_URL: z.url().default("http://127.0.0.1:8090/oidc/token"),
  AUTH_CLIENT_ID: z.string().min(1).optional(),
  /** The service's own client secret at the issuer. */
  AUTH_CLIENT_SECRET: z.string().min(1),
});

export type AuthSettings = z.infer<typeof AuthConfig>;
