import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { setTimeout as sleep } from "node:timers/promises";
import { createBackoff } from "../backoff.ts";
import { ServiceError } from "../errors.ts";
import { readEnvelope } from "./cloudevents.ts";
import { batched } from "./batched.ts";
import { applyBatch, producersOf, type ApplyOptions, type Subscription } from "./consumer.ts";
import { envelopeFromJson, type EventEnvelope } from "./envelope.ts";
import type { EventMetrics } from "./metrics.ts";
import { describeError, type TransportHealth } from "./transport-health.ts";

export interface NatsConsumerOptions extends Omit<ApplyOptions, "commit" | "signal"> {
  subscription: Subscription;
  metrics?: EventMetrics;
  /** Deliveries by the server before it gives up (crash redeliveries; handler retries are in-process). */
  maxDeliver?: number;
  ackWaitMs?: number;
  health?: TransportHealth;
  js: JetStreamClient;
  manager: JetStreamManager;
  /** Declares a producer's stream unless it exists, and returns its name. */
  declareStream: (producer: string) => Promise<string>;
  service: string;
  prefix: string;
}

// Notifications that mean the pull cannot get messages: the consumer is re-declared when they persist.
const trouble = new Set([
  "no_responders",
  "stream_not_found",
  "consumer_not_found",
  "consumer_deleted",
  "heartbeats_missed",
]);

/**
 * Consumes a subscription's types from each producer's stream until stopped: a durable pull
 * consumer per (service, subscription), events applied in batches and acknowledged after their
 * effects committed. When the stream or the consumer disappears (a broker restarted with an empty
 * store), the pull stops and both are declared again, with backoff while that fails.
 */
export async function consumeFromNats(options: NatsConsumerOptions) {
  const { subscription, service } = options;
  const producers = producersOf(subscription);
  const durable = `${service}-${subscription.name}`.replace(/[^\w-]/g, "_");
  const abort = new AbortController();
  const current = new Set<ConsumerMessages>();
  // Declared up front, so a broker that is down at start fails the start, as before.
  for (const producer of producers) await declare(options, producer, durable);
  const running = producers.map((producer) =>
    keepConsuming(options, producer, durable, abort.signal, current),
  );
  return {
    async stop(): Promise<void> {
      abort.abort();
      for (const messages of current) void messages.close();
      await Promise.allSettled(running);
    },
  };
}

async function keepConsuming(
  options: NatsConsumerOptions,
  producer: string,
  durable: string,
  signal: AbortSignal,
  current: Set<ConsumerMessages>,
): Promise<void> {
  const { js, log, health, subscription } = options;
  const component = `consumer ${subscription.name} of ${producer}`;
  const backoff = createBackoff();
  let failures = 0;
  while (!signal.aborted) {
    let messages: ConsumerMessages | undefined;
    try {
      const stream = await declare(options, producer, durable);
      const consumer = await js.consumers.get(stream, durable);
      // Missing stream or consumer ends the pull with an error (rather than waiting for them to come back).
      messages = await consumer.consume({
        max_messages: 256,
        expires: 10_000,
        abort_on_missing_resource: true,
      });
      current.add(messages);
      if (signal.aborted) break;
      health?.succeeded(component);
      if (failures > 0)
        log.info({ consumer: subscription.name, producer, failures }, "NATS consumer resumed");
      failures = 0;
      backoff.reset();
      watchPull(messages, component, health);
      await applyMessages(options, producer, messages);
    } catch (error) {
      if (signal.aborted) break;
      failures++;
      health?.failed(component, error);
      const retryInMs = backoff.next();
      log.warn(
        { err: error, consumer: subscription.name, producer, failures, retryInMs },
        "NATS consumer stopped; declaring its stream and consumer again",
      );
      await sleep(retryInMs, undefined, { signal }).catch(() => undefined);
    } finally {
      if (messages) current.delete(messages);
      messages?.stop();
    }
  }
}

/** Declares the producer's stream and the durable consumer unless they exist; returns the stream. */
async function declare(options: NatsConsumerOptions, producer: string, durable: string): Promise<string> {
  const { manager, prefix, maxDeliver = 20, ackWaitMs = 30_000, log } = options;
  const stream = await options.declareStream(producer);
  try {
    await manager.consumers.info(stream, durable);
    return stream;
  } catch (error) {
    if (!isMissing(error)) throw unavailable(`cannot look up NATS consumer ${durable} on ${stream}`, error);
  }
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: `${prefix}.${producer}.>`,
    max_deliver: maxDeliver,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: 1_000,
  };
  try {
    await manager.consumers.add(stream, config);
    log.info({ stream, consumer: durable }, "NATS consumer declared");
  } catch (error) {
    // Another replica declared it first.
    const exists = await manager.consumers.info(stream, durable).then(
      () => true,
      () => false,
    );
    if (!exists) throw unavailable(`cannot declare NATS consumer ${durable} on ${stream}`, error);
  }
  return stream;
}

/** A pull that reports trouble is failing until the next heartbeat or message shows it works. */
function watchPull(messages: ConsumerMessages, component: string, health?: TransportHealth): void {
  if (!health) return;
  void (async () => {
    for await (const status of messages.status()) {
      if (trouble.has(status.type)) health.failed(component, new Error(`NATS pull: ${status.type}`));
      else if (status.type === "heartbeat") health.succeeded(component);
    }
  })().catch(() => undefined);
}

async function applyMessages(options: NatsConsumerOptions, producer: string, messages: ConsumerMessages) {
  const { subscription, log, health } = options;
  const component = `consumer ${subscription.name} of ${producer}`;
  for await (const batch of batched(messages, 100)) {
    health?.succeeded(component);
    const readable: { message: JsMsg; envelope: EventEnvelope }[] = [];
    for (const message of batch) {
      const read = () => envelopeFromJson(message.string());
      const envelope = readEnvelope(read, log, { subject: message.subject }, () => message.term());
      if (envelope) readable.push({ message, envelope });
    }
    try {
      await applyBatch(
        subscription,
        readable.map((r) => r.envelope),
        options,
      );
      // Acknowledged only after the effects committed; a crash before this redelivers, and the inbox dedupes.
      for (const { message } of readable) message.ack();
      const last = readable.at(-1)?.message;
      if (last)
        options.metrics?.consumerLag.set({ consumer: subscription.name, producer }, last.info.pending);
    } catch (error) {
      // Stopping mid-handler: let the server redeliver them to a replica that is still running.
      log.debug({ err: error }, "events left for redelivery");
      for (const { message } of readable) message.nak();
    }
  }
}

/** Whether a JetStream API error says the stream or consumer does not exist. */
export function isMissing(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamNotFound || error.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

/** A broker failure as the kit reports it: what was attempted, then the client's own reasons. */
export function unavailable(message: string, cause: unknown): ServiceError {
  return new ServiceError("unavailable", `${message}: ${describeError(cause)}`, { cause });
}
