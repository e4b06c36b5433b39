import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
} from "@nats-io/jetstream";
import { connect, headers, nanos, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../logger.ts";
import { applyBatch, batched, type ApplyOptions, type Subscription } from "./consumer.ts";
import { envelopeFromJson, envelopeToJson, producerOf, shortType, type EventEnvelope } from "./envelope.ts";
import type { EventMetrics } from "./metrics.ts";
import type { OutboxSink } from "./relay.ts";

export interface NatsTransportOptions {
  url: string;
  /** Prefix of stream names and subjects; tests use their own so runs never collide. */
  prefix: string;
  /** The service name, for the connection name and durable consumer names. */
  service: string;
  log: Logger;
  /** Publishes awaiting their acknowledgement at most (measured: unbounded grew to 800 MB). */
  window?: number;
}

/** `tessera.catalog.ProductChanged` */
export const subjectOf = (prefix: string, envelope: Pick<EventEnvelope, "source" | "type">) =>
  `${prefix}.${envelope.source}.${shortType(envelope.type)}`;
/** `TESSERA_CATALOG`: one stream per producing service. */
export const streamOf = (prefix: string, source: string) =>
  `${prefix}_${source}`.toUpperCase().replace(/[^A-Z0-9_-]/g, "_");

/**
 * NATS JetStream transport: a stream per producing service with subjects
 * `<prefix>.<source>.<Type>`; the relay publishes with `Nats-Msg-Id` = event id so a re-sent
 * row is dropped by the server's dedupe window; durable pull consumers with explicit ack, one per
 * (service, subscription), shared by the service's replicas, which split the messages.
 */
export async function createNatsTransport({ url, prefix, service, log, window = 256 }: NatsTransportOptions) {
  const connection: NatsConnection = await connect({
    servers: url,
    name: service,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  const manager = await jetstreamManager(connection);
  const js: JetStreamClient = jetstream(connection);
  const ensured = new Set<string>();

  async function ensureStream(source: string): Promise<string> {
    const name = streamOf(prefix, source);
    if (ensured.has(name)) return name;
    const config = {
      name,
      subjects: [`${prefix}.${source}.>`],
      duplicate_window: nanos(2 * 60_000),
      max_age: nanos(7 * 24 * 3600_000),
    };
    try {
      await manager.streams.info(name);
    } catch {
      await manager.streams.add(config).catch(async (error: unknown) => {
        // Another replica created it first.
        if (
          !(await manager.streams.info(name).then(
            () => true,
            () => false,
          ))
        )
          throw error;
      });
    }
    ensured.add(name);
    return name;
  }

  const sink: OutboxSink = {
    name: "nats",
    async deliver(events) {
      // In order, at most `window` unacknowledged at once; every one must be acknowledged.
      const pending: Promise<unknown>[] = [];
      for (const event of events) {
        await ensureStream(event.source);
        const h = headers();
        h.set("ce-type", event.type);
        h.set("ce-source", event.source);
        h.set("ce-subject", event.subject);
        if (event.traceparent) h.set("traceparent", event.traceparent);
        pending.push(
          js.publish(subjectOf(prefix, event), envelopeToJson(event), { msgID: event.id, headers: h }),
        );
        if (pending.length >= window) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
    },
  };

  interface ConsumerOptions extends Omit<ApplyOptions, "commit" | "signal"> {
    subscription: Subscription;
    metrics?: EventMetrics;
    /** Deliveries by the server before it gives up (crash redeliveries; handler retries are in-process). */
    maxDeliver?: number;
    ackWaitMs?: number;
  }

  /** Consumes a subscription's types from each producer's stream until stopped. */
  async function consume({ subscription, maxDeliver = 20, ackWaitMs = 30_000, ...apply }: ConsumerOptions) {
    const producers = new Set([...subscription.types.keys()].map(producerOf));
    const durable = `${service}-${subscription.name}`.replace(/[^\w-]/g, "_");
    const running: { stop(): void; done: Promise<void> }[] = [];
    for (const producer of producers) {
      const stream = await ensureStream(producer);
      const config = {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: `${prefix}.${producer}.>`,
        max_deliver: maxDeliver,
        ack_wait: nanos(ackWaitMs),
        max_ack_pending: 1_000,
      };
      await manager.consumers.add(stream, config).catch(async (error: unknown) => {
        if (
          !(await manager.consumers.info(stream, durable).then(
            () => true,
            () => false,
          ))
        )
          throw error;
      });
      const consumer = await js.consumers.get(stream, durable);
      const messages = await consumer.consume({ max_messages: 256 });
      const done = (async () => {
        for await (const batch of batched(messages, 100)) {
          const readable: { message: (typeof batch)[number]; envelope: EventEnvelope }[] = [];
          for (const message of batch) {
            try {
              readable.push({ message, envelope: envelopeFromJson(message.string()) });
            } catch (error) {
              log.error({ err: error, subject: message.subject }, "unreadable event dropped");
              message.term();
            }
          }
          try {
            await applyBatch(
              subscription,
              readable.map((r) => r.envelope),
              apply,
            );
            // Acknowledged only after the effects committed; a crash before this redelivers, and the inbox dedupes.
            for (const { message } of readable) message.ack();
            const last = readable.at(-1)?.message;
            if (last)
              apply.metrics?.consumerLag.set({ consumer: subscription.name, producer }, last.info.pending);
          } catch (error) {
            // Stopping mid-handler: let the server redeliver them to a replica that is still running.
            log.debug({ err: error }, "events left for redelivery");
            for (const { message } of readable) message.nak();
          }
        }
      })();
      running.push({ stop: () => void messages.close(), done });
    }
    return {
      async stop(): Promise<void> {
        for (const r of running) r.stop();
        await Promise.allSettled(running.map((r) => r.done));
      },
    };
  }

  return {
    sink,
    consume,
    connection,
    manager,
    async close(): Promise<void> {
      await connection.drain().catch(() => connection.close());
    },
  };
}

export type NatsTransport = Awaited<ReturnType<typeof createNatsTransport>>;
