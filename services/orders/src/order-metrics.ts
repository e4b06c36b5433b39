import type { Metrics } from "@tessera/kit";
import { finalStatuses, type Order } from "./order.ts";

/** Saga steps last from milliseconds (an answer already queued) to the step timeout. */
const stepBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** What the business reads off the saga: orders placed and how they ended, revenue, and how long each step took. */
export interface OrderMetrics {
  placed(order: Order): void;
  /** `before` moved to `after`'s status. */
  moved(before: Order, after: Order, now: Date): void;
}

export function createOrderMetrics(metrics: Pick<Metrics, "counter" | "histogram">): OrderMetrics {
  const placed = metrics.counter("orders_placed_total", "Orders placed (checkouts accepted).", ["currency"]);
  const ended = metrics.counter("orders_finished_total", "Orders that reached a final status.", ["status"]);
  const revenue = metrics.counter(
    "orders_revenue_minor_total",
    "Value of confirmed orders, in minor units of their currency.",
    ["currency"],
  );
  const steps = metrics.histogram(
    "saga_step_duration_seconds",
    "Time an order spent in a saga step, by the step (status left) and its outcome (status reached).",
    ["step", "outcome"],
    stepBuckets,
  );
  return {
    placed(order) {
      placed.inc({ currency: order.currency });
    },
    moved(before, after, now) {
      const status = after.status.toLowerCase();
      steps.observe(
        { step: before.status.toLowerCase(), outcome: status },
        Math.max(0, now.getTime() - before.updatedAt.getTime()) / 1000,
      );
      if (!finalStatuses.has(after.status)) return;
      ended.inc({ status });
      if (after.status === "CONFIRMED") revenue.inc({ currency: after.currency }, Number(after.totalMinor));
    },
  };
}
