import type { EventsService } from "@tessera/contracts/events/v1";
import { setTimeout as sleep } from "node:timers/promises";
import { createBackoff } from "../backoff.ts";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Client } from "../rpc/client.ts";
import { eventFromMessage, readEnvelope } from "./cloudevents.ts";
import { batched } from "./batched.ts";
import { applyBatch, type ApplyOptions, type Subscription } from "./consumer.ts";
import type { EventMetrics } from "./metrics.ts";
import type { TransportHealth } from "./transport-health.ts";

/** Events applied in one consumer transaction at most. */
const batchSize = 100;

export interface DirectConsumerOptions extends Omit<ApplyOptions, "commit" | "signal" | "offsetOf"> {
  subscription: Subscription;
  producer: string;
  client: Client<typeof EventsService>;
  metrics?: EventMetrics;
  consumerName: string;
  /** Told when the stream fails and when it works again; reported, but a peer being down is no reason to be unready. */
  health?: TransportHealth;
  /** How often the committed position is acknowledged to the producer, at most. */
  ackIntervalMs?: number;
}

/**
 * The consumer side of the direct transport: reads its committed position for this producer,
 * streams from there, and applies each event with its new position committed in the same
 * transaction as the effect. Restarts of either side resume exactly where the last commit left.
 * It acknowledges committed positions to the producer, which keeps its outbox rows until then.
 *
 * Replicas: `client` may balance over the producer's replicas, which share one outbox, so the
 * stream lives on any one of them and reopens on another. Replicas of this consumer each stream
 * every event; the offset and inbox rows, written in one statement, make a second replica wait for
 * the first's transaction and then skip what it applied, so each event takes effect once and in
 * position order (direct-replicas.test.ts).
 */
export function startDirectConsumer(options: DirectConsumerOptions) {
  const { subscription, producer, client, db, log, metrics, consumerName, health } = options;
  const abort = new AbortController();
  const types = [...subscription.types.keys()];
  const component = `consumer ${subscription.name} of ${producer}`;
  const labels = { consumer: subscription.name, producer };
  const acks = acknowledger(client, consumerName, options.ackIntervalMs ?? 1_000, log);
  const backoff = createBackoff();
  let failures = 0;

  async function position(): Promise<bigint> {
    const { rows } = await db.query<{ position: bigint }>(
      "SELECT position FROM consumer_offsets WHERE consumer = $1 AND producer = $2",
      [subscription.name, producer],
    );
    return rows[0]?.position ?? 0n;
  }

  async function consume(): Promise<void> {
    const after = await position();
    const stream = client.streamEvents(
      { afterPosition: after, types, consumer: consumerName },
      { signal: abort.signal },
    );
    for await (const batch of batched(stream, batchSize)) {
      // The stream works again: a later failure starts the backoff from the beginning.
      failures = 0;
      backoff.reset();
      health?.succeeded(component);
      for (const { missedThrough } of batch) {
        if (missedThrough <= after) continue;
        metrics?.consumerGaps.inc(labels);
        log.error(
          { ...labels, after: String(after), missedThrough: String(missedThrough) },
          "the producer pruned events before this consumer read them; they are lost to it",
        );
      }
      // An unreadable event is passed over; the next readable one's commit moves the position past it.
      const envelopes = batch.flatMap(({ event }) => {
        if (!event) return [];
        const where = { ...labels, position: String(event.position) };
        const envelope = readEnvelope(() => eventFromMessage(event), log, where);
        return envelope ? [envelope] : [];
      });
      await applyBatch(subscription, envelopes, {
        ...options,
        signal: abort.signal,
        offsetOf: producer,
      });
      const committed = envelopes.at(-1)?.position;
      if (committed !== undefined) acks.committed(committed);
      const head = batch.at(-1)?.headPosition ?? 0n;
      metrics?.consumerLag.set(labels, Number(head - (committed ?? head)));
    }
  }

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        await consume();
      } catch (error) {
        if (abort.signal.aborted) break;
        failures++;
        health?.failed(component, error, { gatesReadiness: false });
        // A producer whose positions went back refuses us with failed_precondition: say so loudly.
        const refused = error instanceof ServiceError && error.code === "failed_precondition";
        log[refused ? "error" : failures > 3 ? "warn" : "debug"](
          { err: error, ...labels, failures },
          "event stream interrupted; reconnecting",
        );
      }
      // Reconnect with backoff; a clean end (producer shutting down) also lands here.
      await sleep(backoff.next(), undefined, { signal: abort.signal }).catch(() => undefined);
    }
  }

  const running = run();
  return {
    async stop(): Promise<void> {
      abort.abort();
      acks.stop();
      await running;
    },
  };
}

/**
 * Tells the producer the position this subscription committed, at most every `intervalMs` and
 * only when it moved, so a long-lived stream keeps the producer's view current. Losing one is
 * harmless: the next one, or the next stream's opening, carries the position again.
 */
function acknowledger(
  client: Client<typeof EventsService>,
  consumer: string,
  intervalMs: number,
  log: Logger,
) {
  let committed: bigint | undefined;
  let sent: bigint | undefined;
  let sending = false;
  const timer = setInterval(() => {
    if (committed === undefined || committed === sent || sending) return;
    const position = committed;
    sending = true;
    client
      .acknowledgeEvents({ consumer, position })
      .then(() => (sent = position))
      .catch((error: unknown) => log.debug({ err: error, consumer }, "acknowledging events failed"))
      .finally(() => (sending = false));
  }, intervalMs);
  timer.unref();
  return {
    committed(position: bigint): void {
      if (committed === undefined || position > committed) committed = position;
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
