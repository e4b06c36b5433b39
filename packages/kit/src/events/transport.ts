import type { EventBusOptions } from "./bus.ts";
import { requeueIfStreamReplaced } from "./broker-streams.ts";
import { producersOf, type ApplyOptions, type Subscription } from "./consumer.ts";
import { startDirectConsumer } from "./direct.ts";
import type { OutboxSink } from "./relay.ts";
import type { TransportHealth } from "./transport-health.ts";

/** The configured transport as the bus uses it: where the relay delivers, and how a subscription consumes. */
export interface Transport {
  /** The broker the relay delivers to; none for the direct transport, whose consumers read the outbox. */
  sink?: OutboxSink;
  /** Consumes a subscription's types from every producer until stopped. */
  consume(subscription: Subscription): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

/** The bus's options that choose and reach the transport, with what the bus made of them. */
export interface TransportOptions extends Pick<
  EventBusOptions,
  | "service"
  | "db"
  | "log"
  | "transport"
  | "natsUrl"
  | "kafkaBrokers"
  | "kafkaPartitions"
  | "prefix"
  | "ackWaitMs"
  | "producerClient"
> {
  health: TransportHealth;
  /** How each event is applied: retries, metrics. */
  apply: Omit<ApplyOptions, "commit" | "signal">;
}

/**
 * Connects the transport `options.transport` names. A broker that cannot be reached fails this,
 * and so the service's start, rather than leaving it waiting.
 */
export async function connectTransport(options: TransportOptions): Promise<Transport> {
  const { service, db, log, health, apply } = options;
  // A broker transport names its streams or topics and its groups by prefix and service.
  const broker = { prefix: options.prefix ?? "tessera", service, log };
  switch (options.transport) {
    case "nats": {
      if (!options.natsUrl) throw new Error("EVENTS_TRANSPORT=nats needs NATS_URL");
      // Brokers' client libraries load only where they are used (the Kafka client alone is ~60 MB RSS).
      const { createNatsTransport } = await import("./nats.ts");
      const nats = await createNatsTransport({
        ...broker,
        url: options.natsUrl,
        health,
        streamSeen: (stream, created) => requeueIfStreamReplaced(db, stream, created),
      });
      return {
        sink: nats.sink,
        consume: (subscription) => nats.consume({ ...apply, subscription, ackWaitMs: options.ackWaitMs }),
        close: () => nats.close(),
      };
    }
    case "kafka": {
      if (!options.kafkaBrokers?.length) throw new Error("EVENTS_TRANSPORT=kafka needs KAFKA_BROKERS");
      const { createKafkaTransport } = await import("./kafka.ts");
      const kafka = await createKafkaTransport({
        ...broker,
        brokers: options.kafkaBrokers,
        partitions: options.kafkaPartitions,
      });
      return {
        sink: kafka.sink,
        consume: (subscription) => kafka.consume({ ...apply, subscription }),
        close: () => kafka.close(),
      };
    }
    case "direct":
      return {
        consume(subscription) {
          const consumers = producersOf(subscription).map((producer) =>
            startDirectConsumer({
              ...apply,
              subscription,
              producer,
              client: options.producerClient(producer),
              consumerName: `${service}/${subscription.name}`,
              health,
            }),
          );
          return Promise.resolve({
            async stop() {
              await Promise.all(consumers.map((consumer) => consumer.stop()));
            },
          });
        },
        close: () => Promise.resolve(),
      };
  }
}
