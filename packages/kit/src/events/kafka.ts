import {
  Admin,
  compatibilityPartitioner,
  Consumer,
  findErrorBy,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
  type Message,
  type MessagesStream,
  type MessageToProduce,
} from "@platformatic/kafka";
import { setTimeout as sleep } from "node:timers/promises";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { applyEvent, type ApplyOptions, type Subscription } from "./consumer.ts";
import { envelopeFromJson, envelopeToJson, producerOf, type EventEnvelope } from "./envelope.ts";
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
type Received = Message<string, string, string, string>;
type Stream = MessagesStream<string, string, string, string>;

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
  const headers: { [name: string]: string } = {
    "ce-type": envelope.type,
    "ce-source": envelope.source,
    "ce-subject": envelope.subject,
  };
  if (envelope.traceparent) headers["traceparent"] = envelope.traceparent;
  return {
    topic: topicOf(prefix, envelope.source),
    key: envelope.subject,
    value: envelopeToJson(envelope),
    headers,
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
  const admin = new Admin(client);
  try {
    await admin.listApis();
  } catch (error) {
    await admin.close().catch(() => undefined);
    throw new ServiceError(
      "unavailable",
      `Kafka is unreachable at ${brokers.join(",")}: ${(error as Error).message.replace(/\.$/, "")} (${rootCause(error)})`,
      { cause: error },
    );
  }
  const producer = new Producer<string, string, string, string>({
    ...client,
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // The Java client's partitioner, so any Kafka tooling finds a subject's partition where we put it.
    partitioner: compatibilityPartitioner,
  });
  const ensured = new Map<string, Promise<string>>();

  function ensureTopic(source: string): Promise<string> {
    const topic = topicOf(prefix, source);
    let created = ensured.get(topic);
    if (!created) {
      created = admin.createTopics({ topics: [topic], partitions, replicas: -1 }).then(
        () => {
          log.info({ topic, partitions }, "Kafka topic created");
          return topic;
        },
        (error: unknown) => {
          // Another replica, or an earlier run, created it first.
          if (error instanceof Error && findErrorBy(error, "apiId", "TOPIC_ALREADY_EXISTS")) return topic;
          ensured.delete(topic);
          throw error;
        },
      );
      ensured.set(topic, created);
    }
    return created;
  }

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
    const producers = [...new Set([...subscription.types.keys()].map(producerOf))];
    const topics = await Promise.all(producers.map(ensureTopic));
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

interface GroupConsumerOptions {
  client: { clientId: string; bootstrapBrokers: string[]; retries: number; retryDelay: number };
  groupId: string;
  topics: string[];
  sessionTimeoutMs: number;
  subscription: Subscription;
  apply: Omit<ApplyOptions, "commit" | "signal">;
  onLag: (topic: string, lag: number) => void;
}

/**
 * One member of a consumer group, applying each message in turn and committing its offset once
 * the handler's transaction committed. When the member loses the group (a failed rejoin, a broken
 * stream) it leaves and joins again as a new one; stopping finishes the event in hand, waits for
 * the queued commits and leaves the group, so the partitions move to the other replicas at once.
 */
async function startGroupConsumer(options: GroupConsumerOptions) {
  const { subscription, apply, sessionTimeoutMs } = options;
  const { log } = apply;
  const abort = new AbortController();
  const commits = new Set<Promise<void>>();

  function commit(message: Received): void {
    // Not awaited: the client coalesces a partition's commits; stopping waits for them.
    const committed = Promise.resolve(message.commit()).catch((error: unknown) =>
      log.warn({ err: error, topic: message.topic }, "offset commit failed; the event will be redelivered"),
    );
    commits.add(committed);
    void committed.finally(() => commits.delete(committed));
  }

  async function handle(message: Received): Promise<void> {
    let envelope: EventEnvelope;
    try {
      envelope = envelopeFromJson(message.value ?? "");
    } catch (error) {
      log.error(
        { err: error, topic: message.topic, offset: String(message.offset) },
        "unreadable event dropped",
      );
      commit(message);
      return;
    }
    // applyEvent parks a failing handler's event itself; what is left is the database failing.
    // Offsets are cumulative, so the next event's commit would skip this one: retry it instead.
    for (let attempt = 1; ; attempt++) {
      try {
        await applyEvent(subscription, envelope, { ...apply, signal: abort.signal });
        break;
      } catch (error) {
        if (abort.signal.aborted) throw error;
        log.warn({ err: error, "event.id": envelope.id, attempt }, "event not applied; retrying");
        await sleep(Math.min(100 * 2 ** attempt, 5_000), undefined, { signal: abort.signal });
      }
    }
    commit(message);
  }

  let session: GroupSession | undefined = await joinGroup(options);
  abort.signal.addEventListener("abort", () => void session?.stream.close().catch(() => undefined), {
    once: true,
  });

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        session ??= await joinGroup(options);
        if (!abort.signal.aborted) {
          for await (const message of session.stream) {
            if (abort.signal.aborted) break;
            await handle(message);
          }
        }
      } catch (error) {
        // Stopping mid-handler leaves the event uncommitted: the group redelivers it.
        if (!abort.signal.aborted)
          log.warn({ err: error, consumer: subscription.name }, "Kafka consumer failed");
      }
      // A commit queued while the group rebalances waits for the rejoin; do not wait forever.
      await Promise.race([Promise.allSettled(commits), sleep(sessionTimeoutMs, undefined, { ref: false })]);
      await session?.consumer
        .close(true)
        .catch((error: unknown) => log.warn({ err: error }, "Kafka consumer did not close cleanly"));
      session = undefined;
      if (!abort.signal.aborted)
        await sleep(options.client.retryDelay, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  }

  const done = run();
  return {
    async stop(): Promise<void> {
      abort.abort();
      await done;
    },
  };
}

interface GroupSession {
  consumer: Consumer<string, string, string, string>;
  stream: Stream;
}

/** Joins the group and opens its stream, from the committed offsets (the earliest for a new group). */
async function joinGroup({
  client,
  groupId,
  topics,
  sessionTimeoutMs,
  subscription,
  apply: { log },
  onLag,
}: GroupConsumerOptions): Promise<GroupSession> {
  let stream: Stream | undefined;
  const consumer = new Consumer<string, string, string, string>({
    ...client,
    groupId,
    deserializers: stringDeserializers,
    autocommit: false,
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: Math.max(100, Math.floor(sessionTimeoutMs / 4)),
    highWaterMark: 256,
    maxWaitTime: 1_000,
  });
  // A failed rejoin leaves this member out of the group: closing its stream makes it start over.
  consumer.on("error", (error: unknown) => {
    log.warn({ err: error, consumer: subscription.name }, "Kafka consumer left its group; joining again");
    void stream?.close().catch(() => undefined);
  });
  consumer.on("consumer:lag", (lag) => {
    for (const [topic, partitions] of lag) {
      // -1 marks a partition another member has.
      onLag(topic, Number(partitions.reduce((sum, behind) => (behind > 0n ? sum + behind : sum), 0n)));
    }
  });
  try {
    stream = await consumer.consume({
      topics,
      autocommit: false,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    });
    consumer.startLagMonitoring({ topics }, 10_000);
    return { consumer, stream };
  } catch (error) {
    await consumer.close(true).catch(() => undefined);
    throw error;
  }
}

/** The innermost reason of the client's nested errors: "connect ECONNREFUSED 127.0.0.1:9092". */
function rootCause(error: unknown): string {
  let current = error;
  for (;;) {
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors.at(-1);
    else if (current instanceof Error && current.cause !== undefined) current = current.cause;
    else return current instanceof Error ? current.message : String(current);
  }
}

export type KafkaTransport = Awaited<ReturnType<typeof createKafkaTransport>>;
