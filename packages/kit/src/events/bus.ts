import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import type { EventsService } from "@tessera/contracts/events/v1";
import type { Db, Tx } from "../db.ts";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { PageTokenKey } from "../page-token.ts";
import type { Client } from "../rpc/client.ts";
import type { ServiceImpl } from "../rpc/server.ts";
import type { Registry } from "prom-client";
import { applyEvent, type EventHandler, type Subscription } from "./consumer.ts";
import {
  deadLetterColumns,
  deadLetterPageTokens,
  listDeadLetters,
  type DeadLetterRow,
} from "./dead-letters.ts";
import { acknowledgeEvents, streamOutbox } from "./direct-producer.ts";
import { envelopeFromJson, type EventEnvelope } from "./envelope.ts";
import { createEventMetrics, type EventMetrics } from "./metrics.ts";
import { Notifier } from "./notifier.ts";
import { outboxChannel, positionedChannel, publish, publishAll, type OutboxMessage } from "./outbox.ts";
import { outboxStatus } from "./outbox-status.ts";
import { createRelay, outboxStats, type Relay } from "./relay.ts";
import { connectTransport, type Transport } from "./transport.ts";
import { createTransportHealth } from "./transport-health.ts";

export type TransportName = "direct" | "nats" | "kafka";

export interface EventBusOptions {
  service: string;
  db: Db;
  connectionString: string;
  log: Logger;
  registry: Registry;
  /** Seals the page tokens of ListDeadLetters (the service's `pageTokenKey`). */
  pageTokenKey: PageTokenKey;
  transport: TransportName;
  natsUrl?: string;
  /** Kafka bootstrap brokers, `host:port` each. */
  kafkaBrokers?: readonly string[];
  /** Partitions of the Kafka topics the transport creates. */
  kafkaPartitions?: number;
  /** Stream and subject prefix on NATS; topic and consumer group prefix on Kafka. */
  prefix?: string;
  /** Makes the EventsService client of a producer (direct transport). */
  producerClient: (producer: string) => Client<typeof EventsService>;
  /** Attempts of a failing handler before its event is parked as a dead letter. */
  maxAttempts?: number;
  /** About the delay before a failing handler's first retry; later ones about double, up to 5 s. */
  retryBaseMs?: number;
  pollMs?: number;
  /** NATS ack wait: when a crashed replica's unacknowledged events are redelivered. */
  ackWaitMs?: number;
  /** Delivered outbox rows are pruned after this, unless a known direct consumer has not acknowledged them. */
  retentionMs?: number;
  /** How long a part of the transport may fail before the service reports itself unready. */
  unhealthyAfterMs?: number;
}

/**
 * A service's events: `publish` into its outbox, `subscribe` handlers, and the transport that
 * connects them — the direct stream between services (embedded default), NATS JetStream or Kafka.
 */
export function createEventBus(options: EventBusOptions) {
  const { service, db, log, retentionMs = 7 * 24 * 3600_000 } = options;
  const health = createTransportHealth({ unhealthyAfterMs: options.unhealthyAfterMs ?? 15_000 });
  const metrics: EventMetrics = createEventMetrics(
    options.registry,
    () => outboxStats(db.pool.query.bind(db.pool)),
    health,
  );
  const notifier = new Notifier(options.connectionString, [outboxChannel, positionedChannel], log);
  const deadLetterPages = deadLetterPageTokens(options.pageTokenKey);
  const subscriptions = new Map<string, Subscription>();
  const running: { stop(): Promise<void> }[] = [];
  let relay: Relay | undefined;
  let transport: Transport | undefined;
  const apply = {
    db,
    log,
    metrics,
    maxAttempts: options.maxAttempts,
    retryBaseMs: options.retryBaseMs,
  };

  return {
    metrics,
    /** False while the transport has been failing longer than `unhealthyAfterMs`: events are not leaving or arriving. */
    ready: (): boolean => health.ready(),
    /** Inserts the event into the outbox in `tx`; see `publish`. */
    publish<D extends DescMessage>(tx: Tx, schema: D, data: MessageInitShape<D>, meta: { subject: string }) {
      return publish(tx, service, schema, data, meta);
    },
    /** Inserts several events into the outbox in `tx` with one statement, in order; see `publishAll`. */
    publishAll(tx: Tx, messages: readonly OutboxMessage[]) {
      return publishAll(tx, service, messages);
    },

    /**
     * Registers a handler for some event types. It runs once per event, inside the transaction
     * that records the event as applied; throw to retry, and after the retries it is dead-lettered.
     */
    subscribe<const D extends readonly DescMessage[]>(
      name: string,
      types: D,
      handler: EventHandler<D>,
    ): void {
      if (subscriptions.has(name)) throw new Error(`subscription ${name} registered twice`);
      if (!/^[a-z][a-z0-9-]{0,62}$/.test(name))
        throw new Error(`subscription name ${name} must be kebab-case`);
      subscriptions.set(name, {
        name,
        types: new Map(types.map((schema) => [schema.typeName, schema])),
        handler: handler,
      });
    },

    /** The EventsService handlers: the direct stream and its acknowledgements, outbox status, dead letters. */
    handlers(): ServiceImpl<typeof EventsService> {
      return {
        streamEvents: (request, context) => streamOutbox(db, notifier, request, context, { log, metrics }),
        async acknowledgeEvents(request) {
          await acknowledgeEvents(db, request);
          return {};
        },
        getOutboxStatus: () => outboxStatus(db, { transport: options.transport, retentionMs, health }),
        listDeadLetters: (request) => listDeadLetters(db, deadLetterPages, request),
        async replayDeadLetter(request) {
          const { rows } = await db.query<DeadLetterRow>(
            `SELECT ${deadLetterColumns} FROM dead_letters WHERE id = $1`,
            [request.id],
          );
          const row = rows[0];
          if (!row) throw new ServiceError("not_found", `dead letter ${request.id} not found`);
          const subscription = subscriptions.get(row.consumer);
          if (!subscription) {
            throw new ServiceError("failed_precondition", `no subscription ${row.consumer} in this service`);
          }
          const envelope: EventEnvelope = envelopeFromJson(JSON.stringify(row.event));
          const outcome = await applyEvent(subscription, envelope, {
            ...apply,
            maxAttempts: 1,
            commitWhenParked: false,
            commit: (tx) =>
              tx.query("DELETE FROM dead_letters WHERE id = $1", [row.id]).then(() => undefined),
          });
          if (outcome === "dead_lettered") {
            const again = await db.query<{ error: string }>("SELECT error FROM dead_letters WHERE id = $1", [
              row.id,
            ]);
            throw new ServiceError(
              "failed_precondition",
              `replay failed again: ${again.rows[0]?.error ?? "unknown"}`,
            );
          }
          return { applied: outcome === "applied" };
        },
      };
    },

    async start(): Promise<void> {
      notifier.start();
      transport = await connectTransport({ ...options, health, apply });
      relay = createRelay({
        connectionString: options.connectionString,
        notifier,
        log,
        metrics,
        sink: transport.sink,
        pollMs: options.pollMs,
        retentionMs,
        pruneEveryMs: Math.min(60_000, retentionMs),
        health,
      });
      relay.start();
      for (const subscription of subscriptions.values()) running.push(await transport.consume(subscription));
    },

    async stop(): Promise<void> {
      await Promise.all(running.splice(0).map((r) => r.stop()));
      await relay?.stop();
      await transport?.close();
      await notifier.close();
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
