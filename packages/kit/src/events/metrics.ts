import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Event metrics of one service: outbox (producer side) and subscriptions (consumer side). */
export interface EventMetrics {
  deliveryLatency: Histogram<"consumer" | "type">;
  handlerErrors: Counter<"consumer" | "type">;
  deadLetters: Counter<"consumer" | "type">;
  applied: Counter<"consumer" | "type" | "outcome">;
  consumerLag: Gauge<"consumer" | "producer">;
  relayed: Counter<"transport">;
}

export function createEventMetrics(
  registry: Registry,
  outboxStats: () => Promise<{ depth: number; oldestAgeSeconds: number }>,
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
  };
}
