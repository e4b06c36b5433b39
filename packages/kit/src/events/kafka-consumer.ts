import {
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializers,
  type Message,
  type MessagesStream,
} from "@platformatic/kafka";
import { setTimeout as sleep } from "node:timers/promises";
import { createBackoff } from "../backoff.ts";
import { readEnvelope } from "./cloudevents.ts";
import { applyEvent, type ApplyOptions, type Subscription } from "./consumer.ts";
import { envelopeFromJson, type EventEnvelope } from "./envelope.ts";
import type { KafkaClientOptions } from "./kafka-admin.ts";

export interface GroupConsumerOptions {
  client: KafkaClientOptions;
  groupId: string;
  topics: string[];
  sessionTimeoutMs: number;
  subscription: Subscription;
  apply: Omit<ApplyOptions, "commit" | "signal">;
  onLag: (topic: string, lag: number) => void;
}

type Received = Message<string, string, string, string>;

interface GroupSession {
  consumer: Consumer<string, string, string, string>;
  stream: MessagesStream<string, string, string, string>;
}

/**
 * One member of a consumer group, applying each message in turn and committing its offset once
 * the handler's transaction committed. When the member loses the group (a failed rejoin, a broken
 * stream) it leaves and joins again as a new one; stopping finishes the event in hand, waits for
 * the queued commits and leaves the group, so the partitions move to the other replicas at once.
 */
export async function startGroupConsumer(options: GroupConsumerOptions) {
  const { subscription, apply, sessionTimeoutMs } = options;
  const { log } = apply;
  const abort = new AbortController();
  const commits = new Set<Promise<void>>();
  const rejoin = createBackoff({ initialMs: options.client.retryDelay });

  function commit(message: Received): void {
    // Not awaited: the client coalesces a partition's commits; stopping waits for them.
    const committed = Promise.resolve(message.commit()).catch((error: unknown) =>
      log.warn({ err: error, topic: message.topic }, "offset commit failed; the event will be redelivered"),
    );
    commits.add(committed);
    void committed.finally(() => commits.delete(committed));
  }

  async function handle(message: Received): Promise<void> {
    const read = () => envelopeFromJson(message.value ?? "");
    const where = { topic: message.topic, offset: String(message.offset) };
    const envelope = readEnvelope(read, log, where, () => commit(message));
    if (!envelope) return;
    await applyUntilDone(envelope);
    commit(message);
  }

  // applyEvent parks a failing handler's event itself; what is left is the database failing.
  // Offsets are cumulative, so the next event's commit would skip this one: retry it instead.
  async function applyUntilDone(envelope: EventEnvelope): Promise<void> {
    const backoff = createBackoff();
    for (let attempt = 1; ; attempt++) {
      try {
        await applyEvent(subscription, envelope, { ...apply, signal: abort.signal });
        return;
      } catch (error) {
        if (abort.signal.aborted) throw error;
        log.warn({ err: error, "event.id": envelope.id, attempt }, "event not applied; retrying");
        await sleep(backoff.next(), undefined, { signal: abort.signal });
      }
    }
  }

  let session: GroupSession | undefined = await joinGroup(options);
  abort.signal.addEventListener("abort", () => void session?.stream.close().catch(() => undefined), {
    once: true,
  });

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        session ??= await joinGroup(options);
        rejoin.reset();
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
        await sleep(rejoin.next(), undefined, { signal: abort.signal }).catch(() => undefined);
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
  let stream: GroupSession["stream"] | undefined;
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
