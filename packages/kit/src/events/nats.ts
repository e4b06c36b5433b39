import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { connect, headers, nanos, type NatsConnection } from "@nats-io/transport-node";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { cloudEventHeaders } from "./cloudevents.ts";
import { shortType, envelopeToJson, type EventEnvelope } from "./envelope.ts";
import { consumeFromNats, isMissing, unavailable, type NatsConsumerOptions } from "./nats-consumer.ts";
import type { OutboxSink } from "./relay.ts";
import { describeError, type TransportHealth } from "./transport-health.ts";

export interface NatsTransportOptions {
  url: string;
  /** Prefix of stream names and subjects; tests use their own so runs never collide. */
  prefix: string;
  /** The service name, for the connection name and durable consumer names. */
  service: string;
  log: Logger;
  /** Publishes awaiting their acknowledgement at most (measured: unbounded grew to 800 MB). */
  window?: number;
  /** Told when the connection drops and comes back, and by the consumers. */
  health?: TransportHealth;
  /**
   * Told the broker's creation time of each stream the relay delivers to, whenever it checks;
   * returns how many outbox rows it queued again because the stream is not the one they went to.
   */
  streamSeen?: (stream: string, created: string) => Promise<number>;
}

/** How long a stream seen to exist is trusted without asking the broker again. */
const streamCheckMs = 30_000;

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
 *
 * A broker can come back without its streams (a new node, a lost volume): publishing then finds
 * no stream, and consumers find theirs gone. Both declare what is missing again instead of
 * trusting what they declared before.
 */
export async function createNatsTransport({
  url,
  prefix,
  service,
  log,
  window = 256,
  health,
  streamSeen,
}: NatsTransportOptions) {
  const connection: NatsConnection = await connect({
    servers: url,
    name: service,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  /** Streams the relay has seen exist, until when it trusts that; a reconnect forgets them all. */
  const ensured = new Map<string, number>();
  watchConnection(connection, url, log, health, () => ensured.clear());
  const manager = await jetstreamManager(connection);
  const js: JetStreamClient = jetstream(connection);

  /** Declares the stream unless it exists; returns the broker's creation time of it. */
  async function declareStream(source: string): Promise<string> {
    const name = streamOf(prefix, source);
    try {
      return (await manager.streams.info(name)).created;
    } catch (error) {
      if (!isMissing(error)) throw unavailable(`cannot look up NATS stream ${name}`, error);
    }
    const config = {
      name,
      subjects: [`${prefix}.${source}.>`],
      duplicate_window: nanos(2 * 60_000),
      max_age: nanos(7 * 24 * 3600_000),
    };
    try {
      const created = (await manager.streams.add(config)).created;
      log.info({ stream: name }, "NATS stream declared");
      return created;
    } catch (error) {
      // Another replica, or a consumer of this stream, declared it first.
      const info = await manager.streams.info(name).catch(() => undefined);
      if (!info) throw unavailable(`cannot declare NATS stream ${name}`, error);
      return info.created;
    }
  }

  /** Before the relay publishes: the stream exists, and is the one earlier rows went to. */
  async function ensureStream(source: string): Promise<void> {
    const name = streamOf(prefix, source);
    if ((ensured.get(name) ?? 0) > Date.now()) return;
    const created = await declareStream(source);
    const requeued = (await streamSeen?.(name, created)) ?? 0;
    ensured.set(name, Date.now() + streamCheckMs);
    if (requeued > 0) {
      // Rows that went to the lost stream go again first, in their order: this batch waits its turn.
      throw new ServiceError(
        "unavailable",
        `NATS stream ${name} is not the one earlier events went to (created ${created}; the broker lost it): sending ${requeued} retained event(s) again`,
      );
    }
  }

  async function publishAll(events: readonly EventEnvelope[]): Promise<void> {
    // In order, at most `window` unacknowledged at once; every one must be acknowledged.
    const pending: Promise<unknown>[] = [];
    for (const event of events) {
      const h = headers();
      for (const [name, value] of Object.entries(cloudEventHeaders(event))) h.set(name, value);
      pending.push(
        js.publish(subjectOf(prefix, event), envelopeToJson(event), { msgID: event.id, headers: h }),
      );
      if (pending.length >= window) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }

  const sink: OutboxSink = {
    name: "nats",
    async deliver(events) {
      const sources = [...new Set(events.map((event) => event.source))];
      for (const source of sources) await ensureStream(source);
      try {
        await publishAll(events);
      } catch (error) {
        if (!isNoResponders(error)) throw explainPublishFailure(error, connection, url);
        // No stream takes these subjects: the broker lost it. Declare it again and resend; the
        // ones that did arrive are dropped by the dedupe window.
        log.warn(
          { streams: sources.map((source) => streamOf(prefix, source)) },
          "NATS stream missing; declaring it again",
        );
        for (const source of sources) ensured.delete(streamOf(prefix, source));
        for (const source of sources) await ensureStream(source);
        await publishAll(events).catch((again: unknown) => {
          throw explainPublishFailure(again, connection, url);
        });
      }
    },
  };

  return {
    sink,
    /** Consumes a subscription's types from each producer's stream until stopped. */
    consume: (
      options: Omit<NatsConsumerOptions, "js" | "manager" | "declareStream" | "service" | "prefix">,
    ) =>
      consumeFromNats({
        ...options,
        js,
        manager,
        declareStream: (producer) => declareStream(producer).then(() => streamOf(prefix, producer)),
        service,
        prefix,
        health: options.health ?? health,
      }),
    connection,
    manager,
    async close(): Promise<void> {
      await connection.drain().catch(() => connection.close());
    },
  };
}

export type NatsTransport = Awaited<ReturnType<typeof createNatsTransport>>;

// The client reports a publish nobody answered as "jetstream is not enabled"; mostly it means that
// no stream takes the subject.
function isNoResponders(error: unknown): boolean {
  return error instanceof Error && /no responders/i.test(describeError(error));
}

function explainPublishFailure(error: unknown, connection: NatsConnection, url: string): ServiceError {
  if (isNoResponders(error))
    return unavailable("no NATS stream takes the subject, even after declaring it (is JetStream up?)", error);
  if (connection.isClosed() || (error instanceof Error && error.name === "TimeoutError"))
    return unavailable(`NATS at ${url} did not acknowledge the publish (disconnected or overloaded)`, error);
  return unavailable("publishing to NATS failed", error);
}

/** Reports the connection as failing from a disconnect until the client is connected again. */
function watchConnection(
  connection: NatsConnection,
  url: string,
  log: Logger,
  health: TransportHealth | undefined,
  onReconnect: () => void,
): void {
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === "disconnect") {
        log.warn({ url }, "NATS connection lost; reconnecting");
        health?.failed("connection", new Error(`disconnected from NATS at ${url}`));
      } else if (status.type === "reconnect") {
        log.info({ url }, "NATS connection restored");
        // The server may be a new one, without the streams the old one had.
        onReconnect();
        health?.succeeded("connection");
      }
    }
  })();
}
