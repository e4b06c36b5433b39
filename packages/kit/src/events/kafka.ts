import {
  compatibilityPartitioner,
  ProduceAcks,
  Producer,
  stringSerializers,
  type MessageToProduce,
} from "@platformatic/kafka";
import type { Logger } from "../logger.ts";
import { cloudEventHeaders } from "./cloudevents.ts";
import { producersOf, type ApplyOptions, type Subscription } from "./consumer.ts";
import { envelopeToJson, type EventEnvelope } from "./envelope.ts";
import { connectAdmin, topicCreator } from "./kafka-admin.ts";
import { startGroupConsumer } from "./kafka-consumer.ts";
import type { OutboxSink } from "./relay.ts";

export interface KafkaTransportOptions {
  /** Bootstrap brokers, `host:port` each. */
  brokers: readonly string[];
  /** Prefix of topic and consumer group names; tests use their own so runs never collide. */
  prefix: string;
  /** The service name, for the client id and the consumer group names. */
  service: string;
  log: Logger;
  /** Partitions of the topics this transport creates: the most replicas of one subscription that get work. */
  partitions?: number;
  /** Events awaiting the broker's acknowledgement at most; each window is one produce. */
  window?: number;
  /** How long the group waits for a silent (crashed) replica before handing its partitions to the others. */
  sessionTimeoutMs?: number;
  /** Retries of a failed broker operation and the pause between them: connecting fails within about their product. */
  retries?: number;
  retryDelayMs?: number;
}

type OutgoingRecord = MessageToProduce<string, string, string, string>;

/** `tessera.catalog`: one topic per producing service. */
export const topicOf = (prefix: string, source: string) => `${prefix}.${source}`;

/**
 * `tessera.orders-saga`: one consumer group per (service, subscription), shared by the service's
 * replicas. Group ids are global to a cluster, so the prefix scopes them as it scopes the topics.
 */
export const groupOf = (prefix: string, service: string, subscription: string) =>
  `${prefix}.${service}-${subscription}`;

/**
 * The record of an event: keyed by subject, so one subject's events share a partition and stay in
 * order; the JSON envelope as value; CloudEvents attributes and trace context as headers.
 */
export function recordOf(prefix: string, envelope: EventEnvelope): OutgoingRecord {
  return {
    topic: topicOf(prefix, envelope.source),
    key: envelope.subject,
    value: envelopeToJson(envelope),
    headers: cloudEventHeaders(envelope),
  };
}

/**
 * Kafka transport: a topic per producing service, `<prefix>.<source>`, records keyed by subject.
 * The relay produces with an idempotent producer (acks from all in-sync replicas), one window of
 * events per request, so a retried request never reorders a partition. A consumer group per
 * (service, subscription), shared by the replicas, which split the partitions; an offset is
 * committed only after the handler's transaction (with its inbox row) committed.
 *
 * @example
 *   const kafka = await createKafkaTransport({ brokers: ["kafka:9092"], prefix: "tessera", service: "orders", log });
 *   const relay = createRelay({ ...relayOptions, sink: kafka.sink });
 *   const consumer = await kafka.consume({ subscription, db, log });
 */
export async function createKafkaTransport({
  brokers,
  prefix,
  service,
  log,
  partitions = 3,
  window = 256,
  sessionTimeoutMs = 10_000,
  retries = 3,
  retryDelayMs = 1_000,
}: KafkaTransportOptions) {
  const client = { clientId: service, bootstrapBrokers: [...brokers], retries, retryDelay: retryDelayMs };
  const admin = await connectAdmin(client);
  const producer = new Producer<string, string, string, string>({
    ...client,
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // The Java client's partitioner, so any Kafka tooling finds a subject's partition where we put it.
    partitioner: compatibilityPartitioner,
  });
  const createTopic = topicCreator(admin, { partitions, log });
  const ensureTopic = (source: string) => createTopic(topicOf(prefix, source));

  const sink: OutboxSink = {
    name: "kafka",
    async deliver(events) {
      for (const source of new Set(events.map((event) => event.source))) await ensureTopic(source);
      // In order, at most `window` unacknowledged at once; every one must be acknowledged.
      for (let i = 0; i < events.length; i += window) {
        await producer.send({
          messages: events.slice(i, i + window).map((event) => recordOf(prefix, event)),
        });
      }
    },
  };

  /** Consumes a subscription's types from each producer's topic until stopped. */
  async function consume({ subscription, ...apply }: KafkaConsumerOptions) {
    const topics = await Promise.all(producersOf(subscription).map(ensureTopic));
    return startGroupConsumer({
      client,
      groupId: groupOf(prefix, service, subscription.name),
      topics,
      sessionTimeoutMs,
      subscription,
      apply,
      onLag: (topic, lag) =>
        apply.metrics?.consumerLag.set(
          { consumer: subscription.name, producer: topic.slice(prefix.length + 1) },
          lag,
        ),
    });
  }

  return {
    sink,
    consume,
    producer,
    admin,
    async close(): Promise<void> {
      await Promise.allSettled([producer.close(), admin.close()]);
    },
  };
}

export interface KafkaConsumerOptions extends Omit<ApplyOptions, "commit" | "signal"> {
  subscription: Subscription;
}

export type KafkaTransport = Awaited<ReturnType<typeof createKafkaTransport>>;
