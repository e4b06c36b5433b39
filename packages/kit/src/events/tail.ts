import type { EventsService } from "@tessera/contracts/events/v1";
import { setTimeout as sleep } from "node:timers/promises";
import { createBackoff } from "../backoff.ts";
import type { Logger } from "../logger.ts";
import type { Client } from "../rpc/client.ts";
import { eventFromMessage, readEnvelope } from "./cloudevents.ts";
import { envelopeFromJson, shortType, type EventEnvelope } from "./envelope.ts";

/** Where a tail reads: the producer's own `StreamEvents`, or the NATS subjects its relay publishes to. */
export type TailSource =
  | { transport: "direct"; client: Client<typeof EventsService> }
  | { transport: "nats"; url: string; prefix: string };

export interface TailOptions {
  source: TailSource;
  /** The producing service (`catalog`), and the fully qualified types wanted of it. */
  producer: string;
  types: readonly string[];
  log: Logger;
  /** Each event as it arrives, after the tail was (re)connected. */
  onEvent: (envelope: EventEnvelope) => void;
  /**
   * The tail may have missed events: it (re)connected, lost its connection, or the producer said
   * it pruned some. Whatever was derived from earlier events must be dropped here. `live` says
   * whether events flow from now on (a connect) or not (a disconnect, until the next reset).
   */
  onReset: (reason: string, live: boolean) => void;
}

/**
 * A non-durable subscription for a process without a database (the gateway's cache): events from
 * the moment it connects, nothing kept for it while it is away, no acknowledgement. It never
 * claims completeness: every connect and every disconnect is reported by `onReset`, so the
 * subscriber can drop what a missed event could have made stale. Reconnects with backoff.
 *
 * @example
 *   const tail = tailEvents({ source: { transport: "direct", client }, producer: "catalog",
 *     types: ["tessera.catalog.v1.ProductChanged"], log, onEvent, onReset: () => cache.clear() });
 *   await tail.stop();
 */
export function tailEvents(options: TailOptions): { stop(): Promise<void> } {
  const abort = new AbortController();
  const { log, producer } = options;
  const backoff = createBackoff();
  const follow = options.source.transport === "direct" ? followDirect : followNats;
  const running = (async () => {
    while (!abort.signal.aborted) {
      try {
        await follow(options, abort.signal, () => backoff.reset());
        options.onReset("the event stream ended", false);
      } catch (error) {
        if (abort.signal.aborted) break;
        options.onReset("the event stream failed", false);
        log.debug({ err: error, producer }, "event tail interrupted; reconnecting");
      }
      await sleep(backoff.next(), undefined, { signal: abort.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}

/**
 * `StreamEvents` from the producer's head: a first unnamed stream only learns the head (and is
 * cancelled), so the producer keeps nothing for us; the tail then follows from there. The reset
 * comes between the two: any state built after it was read after every event up to the head.
 */
async function followDirect(
  { source, types, log, onEvent, onReset, producer }: TailOptions,
  signal: AbortSignal,
  connected: () => void,
): Promise<void> {
  if (source.transport !== "direct") return;
  const probe = new AbortController();
  let head = 0n;
  for await (const first of source.client.streamEvents(
    { afterPosition: 0n, types: [...types], consumer: "" },
    { signal: AbortSignal.any([signal, probe.signal]) },
  )) {
    head = first.headPosition;
    break;
  }
  probe.abort();
  onReset("the event tail (re)connected", true);
  connected();
  const stream = source.client.streamEvents(
    { afterPosition: head, types: [...types], consumer: "" },
    { signal },
  );
  for await (const { event, missedThrough } of stream) {
    if (missedThrough > head) onReset("the producer pruned events before the tail read them", true);
    if (!event) continue;
    const envelope = readEnvelope(() => eventFromMessage(event), log, {
      producer,
      position: String(event.position),
    });
    if (envelope) onEvent(envelope);
  }
}

/**
 * A core NATS subscription on the subjects the relay publishes to (JetStream stores them, and
 * plain subscribers see them as they are published): no consumer on the broker, nothing
 * redelivered. A disconnect or reconnect of the connection is a reset.
 */
async function followNats(
  { source, types, log, onEvent, onReset, producer }: TailOptions,
  signal: AbortSignal,
  connected: () => void,
): Promise<void> {
  if (source.transport !== "nats") return;
  const { connect } = await import("@nats-io/transport-node");
  const connection = await connect({ servers: source.url, name: `${producer}-tail`, reconnectTimeWait: 500 });
  const close = () => void connection.close();
  signal.addEventListener("abort", close, { once: true });
  try {
    const subscriptions = types.map((type) =>
      connection.subscribe(`${source.prefix}.${producer}.${shortType(type)}`, {
        callback: (error, message) => {
          if (error) return onReset("the NATS subscription failed", false);
          const envelope = readEnvelope(() => envelopeFromJson(message.string()), log, {
            producer,
            subject: message.subject,
          });
          if (envelope) onEvent(envelope);
        },
      }),
    );
    await connection.flush();
    onReset("the event tail (re)connected", true);
    connected();
    void (async () => {
      for await (const status of connection.status())
        if (status.type === "disconnect" || status.type === "reconnect")
          onReset(`the NATS connection had a ${status.type}`, status.type === "reconnect");
    })();
    await Promise.race([connection.closed(), ...subscriptions.map((s) => s.closed)]);
  } finally {
    signal.removeEventListener("abort", close);
    if (!connection.isClosed()) await connection.close();
  }
}
