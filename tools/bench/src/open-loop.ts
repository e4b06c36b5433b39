import { performance } from "node:perf_hooks";
import { scheduleArrivals } from "./arrivals.ts";
import { gatewayCaller, gatewayWatcher, percentile, placeOrder, type Product } from "./order-flow.ts";

export interface OpenLoopOptions {
  /** The gateway: http://127.0.0.1:<port>/. */
  base: string;
  /** Starts every progress line ("checkout embedded"). */
  label: string;
  products: readonly Product[];
  /** Offered rates, orders/s, in the order they are tried. */
  rates: readonly number[];
  /** How long each rate is offered. */
  stepSeconds: number;
  /** After a step, how long its orders may take to settle before they count as stuck. */
  drainSeconds: number;
  /** Signed-in buyers (name → access token) the arrivals draw from, one order in flight per buyer. */
  tokens: ReadonlyMap<string, string>;
  /** Offered at the first rate before the steps and left out of them: JIT, pools and channels warm up. */
  warmupSeconds: number;
  /** Runs after the warm-up, before the first step (the bench reads the server's counters here). */
  beforeSteps: () => Promise<void>;
  /** A step holds while p99 submit → confirmed stays under this. */
  p99LimitMs: number;
  progress: (line: string) => void;
}

/** One offered rate, as the buyers saw it. */
export interface StepResult {
  offeredPerSecond: number;
  /** Arrivals started (rate × step seconds). */
  arrivals: number;
  confirmed: number;
  /** Confirmed ÷ (step start → last confirmation seen). */
  confirmedPerSecond: number;
  /** Submit → confirmed. */
  p50Ms: number;
  p99Ms: number;
  /** Submitted, not settled by the end of the drain. */
  stuck: number;
  /** Rejected or cancelled by the saga. */
  rejected: number;
  /** HTTP errors, refused connections, and arrivals that found no free buyer. */
  errors: number;
  /** The latest an arrival started after its scheduled instant (the client falling behind). */
  maxLagMs: number;
  /** p99 under the limit, nothing stuck, no errors. */
  held: boolean;
}

export interface OpenLoopResult {
  steps: StepResult[];
  /** Confirmed orders over all steps (what per-order database figures divide by). */
  confirmed: number;
  /** The first few distinct reasons for rejections and errors. */
  samples: string[];
}

/**
 * Checkout as an open loop: each rate in `rates` is offered for `stepSeconds` — every arrival an
 * order of its own by the next free buyer, whatever the latency — then the step's orders get up to
 * `drainSeconds` to settle. Stepping stops after the first step that does not hold.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { label, progress } = options;
  const free = [...options.tokens.keys()];
  const samples = new Set<string>();
  const steps: StepResult[] = [];
  const first = options.rates[0];
  if (options.warmupSeconds > 0 && first !== undefined) {
    progress(`${label}: warming up at ${first} orders/s for ${options.warmupSeconds} s…`);
    const warmup = await runStep(first, { ...options, stepSeconds: options.warmupSeconds, free, samples });
    progress(
      `${label}: warm-up ${warmup.confirmed} confirmed, p99 ${Math.round(warmup.p99Ms)} ms (not counted)`,
    );
  }
  await options.beforeSteps();
  for (const rate of options.rates) {
    progress(`${label}: offering ${rate} orders/s for ${options.stepSeconds} s…`);
    const step = await runStep(rate, { ...options, free, samples });
    steps.push(step);
    progress(
      `${label}: ${rate}/s → ${step.confirmedPerSecond.toFixed(1)} confirmed/s, p50 ${Math.round(step.p50Ms)} ms, p99 ${Math.round(step.p99Ms)} ms, ${step.stuck} stuck, ${step.rejected} rejected, ${step.errors} errors${step.held ? "" : " — not held, stepping stops"}`,
    );
    if (!step.held) break;
  }
  return { steps, confirmed: steps.reduce((sum, s) => sum + s.confirmed, 0), samples: [...samples] };
}

async function runStep(
  rate: number,
  {
    base,
    products,
    stepSeconds,
    drainSeconds,
    p99LimitMs,
    tokens,
    free,
    samples,
  }: OpenLoopOptions & { free: string[]; samples: Set<string> },
): Promise<StepResult> {
  const drained = new AbortController();
  const call = gatewayCaller(base, tokens, drained.signal);
  const watch = gatewayWatcher(base, tokens, drained.signal);
  const latencies: number[] = [];
  const counts = { stuck: 0, rejected: 0, errors: 0 };
  const note = (reason: string) => void (samples.size < 5 && samples.add(reason));
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  let lastConfirmedAt = started;
  const arrive = () => {
    const buyer = free.shift();
    if (buyer === undefined) {
      counts.errors++;
      note(`no free buyer at ${rate}/s: raise BENCH_BUYERS`);
      return;
    }
    const product = products[Math.floor(Math.random() * products.length)]!;
    const order = placeOrder({ call, watch }, buyer, product, drained.signal).then((outcome) => {
      // Back of the queue: its cart is emptied asynchronously (on OrderPlaced), so it waits its turn.
      free.push(buyer);
      switch (outcome.kind) {
        case "confirmed":
          latencies.push(outcome.latencyMs);
          lastConfirmedAt = performance.now();
          return;
        case "rejected":
        case "cancelled":
          counts.rejected++;
          return note(outcome.reason);
        case "failed":
          counts.errors++;
          return note(outcome.reason);
        case "unsettled":
          if (outcome.submitted) return void counts.stuck++;
          counts.errors++;
          return note(`${buyer}: add to cart unanswered when the drain ended`);
      }
    });
    inFlight.add(order);
    void order.finally(() => inFlight.delete(order));
  };
  const { count, maxLagMs } = await scheduleArrivals({ rate, seconds: stepSeconds }, arrive);
  const drainTimer = setTimeout(() => drained.abort(new Error("drain over")), drainSeconds * 1_000);
  try {
    await Promise.all(inFlight);
  } finally {
    clearTimeout(drainTimer);
  }
  const sorted = latencies.toSorted((a, b) => a - b);
  const p99Ms = percentile(sorted, 0.99);
  return {
    offeredPerSecond: rate,
    arrivals: count,
    confirmed: sorted.length,
    confirmedPerSecond: sorted.length / (Math.max(lastConfirmedAt - started, 1) / 1_000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms,
    ...counts,
    maxLagMs,
    held: p99Ms < p99LimitMs && counts.stuck === 0 && counts.errors === 0,
  };
}
