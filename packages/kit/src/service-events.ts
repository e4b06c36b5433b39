import type { EventsService } from "@tessera/contracts/events/v1";
import type { z, BaseConfig } from "./config.ts";
import type { Db } from "./db.ts";
import { createEventBus, type EventBus } from "./events/bus.ts";
import type { Logger } from "./logger.ts";
import type { PageTokenKey } from "./page-token.ts";
import type { Metrics } from "./metrics.ts";
import type { Client } from "./rpc/client.ts";
import type { DatabaseConfig, EventsSettings } from "./service-config.ts";
import type { ServiceOptions } from "./service.ts";

type ConfigShape = z.ZodObject<(typeof BaseConfig)["shape"]>;

export type DatabaseSettings = z.infer<typeof DatabaseConfig> & EventsSettings;

/** The event bus of a service with a database, on the transport its settings name. */
export function createServiceEventBus<C extends ConfigShape>(
  options: ServiceOptions<C>,
  config: Readonly<z.infer<C>>,
  settings: DatabaseSettings,
  db: Db,
  log: Logger,
  metrics: Metrics,
  pageTokenKey: PageTokenKey,
  eventsClient: (address: string) => Client<typeof EventsService>,
): EventBus {
  return createEventBus({
    service: options.name,
    db,
    connectionString: settings.DATABASE_URL,
    log,
    registry: metrics.registry,
    pageTokenKey,
    transport: settings.EVENTS_TRANSPORT,
    natsUrl: settings.NATS_URL,
    kafkaBrokers: settings.KAFKA_BROKERS,
    kafkaPartitions: settings.EVENTS_KAFKA_PARTITIONS,
    prefix: settings.EVENTS_PREFIX,
    maxAttempts: settings.EVENTS_MAX_ATTEMPTS,
    ackWaitMs: settings.EVENTS_ACK_WAIT_MS,
    retentionMs: settings.EVENTS_OUTBOX_RETENTION_MS,
    unhealthyAfterMs: settings.EVENTS_UNHEALTHY_AFTER_MS,
    retryBaseMs: settings.EVENTS_RETRY_BASE_MS,
    producerClient: (producer) => {
      const address = options.producers?.[producer];
      if (!address) {
        throw new Error(
          `${options.name} consumes ${producer} events over the direct transport: name ${producer} in createService's producers`,
        );
      }
      return eventsClient(address(config));
    },
  });
}
