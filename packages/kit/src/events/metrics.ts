import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { TransportHealth } from "./transport-health.ts";

/** Event metrics of one service: outbox (producer side) and subscriptions (consumer side). */
export interface EventMetrics {
  deliveryLatency: Histogram<"consumer" | "type">;
  handlerErrors: Counter<"consumer" | "type">;
  deadLetters: Counter<"consumer" | "type">;
  applied: Counter<"consumer" | "type" | "outcome">;
  consumerLag: Gauge<"consumer" | "producer">;
  relayed: Counter<"transport">;
  /** Consecutive failed relay attempts; 0 once a delivery works. */
  relayFailures: Gauge;
  /** Producer side, direct transport: streams opened after events the consumer needed were pruned. */
  streamGaps: Counter<"consumer">;
  /** Consumer side, direct transport: the same gap, as the consumer saw it. */
  consumerGaps: Counter<"consumer" | "producer">;
  /** Producer side, direct transport: rows past retention kept only for this known consumer. */
  retainedForConsumer: Gauge<"consumer">;
}

export function createEventMetrics(
  registry: Registry,
  outboxStats: () => Promise<{ depth: number; oldestAgeSeconds: number }>,
  health?: TransportHealth,
): EventMetrics {
  const registers = [registry];
  let stats: Promise<{ depth: number; oldestAgeSeconds: number }> | undefined;
  // Both outbox gauges come from one query per scrape.
  const read = () => (stats ??= outboxStats().finally(() => setTimeout(() => (stats = undefined), 100)));
  new Gauge({
    name: "outbox_depth",
    help: "Outbox rows not yet delivered to the transport.",
    registers,
    async collect() {
      this.set((await read()).depth);
    },
  });
  new Gauge({
    name: "outbox_oldest_undelivered_age_seconds",
    help: "Age of the oldest outbox row not yet delivered; 0 when none.",
    registers,
    async collect() {
      this.set((await read()).oldestAgeSeconds);
    },
  });
  if (health) registerHealthGauges(registers, health);
  return {
    deliveryLatency: new Histogram({
      name: "event_delivery_latency_seconds",
      help: "From the producer's commit (event time) to the consumer's handler commit.",
      labelNames: ["consumer", "type"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    handlerErrors: new Counter({
      name: "event_handler_errors_total",
      help: "Failed handler attempts (each retry counts).",
      labelNames: ["consumer", "type"],
      registers,
    }),
    deadLetters: new Counter({
      name: "event_dead_letters_total",
      help: "Events parked in the dead-letter table after their retries.",
      labelNames: ["consumer", "type"],
      registers,
    }),
    applied: new Counter({
      name: "events_consumed_total",
      help: "Events a subscription received, by outcome: applied, duplicate, skipped, dead_lettered.",
      labelNames: ["consumer", "type", "outcome"],
      registers,
    }),
    consumerLag: new Gauge({
      name: "event_consumer_lag",
      help: "Events the producer has that this subscription has not yet applied.",
      labelNames: ["consumer", "producer"],
      registers,
    }),
    relayed: new Counter({
      name: "outbox_relayed_total",
      help: "Outbox rows delivered to the transport.",
      labelNames: ["transport"],
      registers,
    }),
    relayFailures: new Gauge({
      name: "outbox_relay_consecutive_failures",
      help: "Relay attempts that failed in a row; 0 once a delivery works.",
      registers,
    }),
    streamGaps: new Counter({
      name: "outbox_stream_gaps_total",
      help: "Direct streams a consumer opened after events it had not read were pruned: it missed them.",
      labelNames: ["consumer"],
      registers,
    }),
    consumerGaps: new Counter({
      name: "event_consumer_gaps_total",
      help: "Direct streams on which the producer said events after this consumer's position were pruned.",
      labelNames: ["consumer", "producer"],
      registers,
    }),
    retainedForConsumer: new Gauge({
      name: "outbox_retained_for_consumer",
      help: "Outbox rows past the retention kept only because this known consumer has not acknowledged them; above 0 it is behind.",
      labelNames: ["consumer"],
      registers,
    }),
  };
}

function registerHealthGauges(registers: Registry[], health: TransportHealth): void {
  new Gauge({
    name: "event_transport_failing_seconds",
    help: "How long each failing part of the event transport (relay, connection, consumer) has been failing.",
    labelNames: ["component"],
    registers,
    collect() {
      // Only the parts failing now: a part that recovered disappears rather than staying at 0.
      this.reset();
      for (const problem of health.problems())
        this.set({ component: problem.component }, problem.failingMs / 1000);
    },
  });
  new Gauge({
    name: "event_transport_ready",
    help: "1 while the event transport can deliver; 0 once a part has failed longer than the readiness threshold.",
    registers,
    collect() {
      this.set(health.ready() ? 1 : 0);
    },
  });
}
