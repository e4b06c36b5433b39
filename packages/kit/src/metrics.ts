import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type { Counter, Gauge, Histogram, Registry };

/** Latency buckets in seconds, from sub-millisecond in-process calls to multi-second timeouts. */
export const latencyBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The RED metrics (rate, errors, duration) every service records, on its own registry. */
export interface Metrics {
  registry: Registry;
  rpcServer: Histogram<"service" | "method" | "code">;
  rpcClient: Histogram<"service" | "method" | "code">;
  httpServer: Histogram<"method" | "route" | "status_code">;
  /** cockatiel's `CircuitState` of each outgoing method's breaker: 0 closed, 1 open, 2 half-open, 3 isolated. */
  rpcClientBreaker: Gauge<"service" | "method">;
  /**
   * A counter of the service's own, on its registry (the same one again for the same name), so a
   * service records domain metrics without depending on prom-client itself.
   *
   * @example
   *   const transitions = metrics.counter("saga_transitions_total", "Saga transitions.", ["from", "to"]);
   *   transitions.inc({ from: "pending", to: "stock_reserved" });
   */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L>;
  /** A histogram of the service's own (`latencyBuckets` unless given); the same one again for the same name. */
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets?: readonly number[],
  ): Histogram<L>;
  /** A gauge read at each scrape from `collect`, which sets its values. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (gauge: Gauge<L>) => void | Promise<void>,
  ): Gauge<L>;
}

/**
 * A prom-client registry with the process defaults (CPU, memory, event loop lag, GC) labelled with
 * the service name, and the RPC server/client and HTTP route duration histograms.
 *
 * @example
 *   const metrics = createMetrics("catalog");
 *   metrics.rpcServer.observe({ service: "CatalogService", method: "GetProduct", code: "OK" }, 0.002);
 */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service_name: service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
      const existing = registry.getSingleMetric(name);
      if (existing instanceof Counter) return existing;
      return new Counter({ name, help, labelNames, registers: [registry] });
    },
    histogram<L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      buckets = latencyBuckets,
    ) {
      const existing = registry.getSingleMetric(name);
      if (existing instanceof Histogram) return existing;
      return new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [registry] });
    },
    gauge<L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      collect: (gauge: Gauge<L>) => void | Promise<void>,
    ) {
      return new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          return collect(this);
        },
      });
    },
    rpcServer: new Histogram({
      name: "rpc_server_duration_seconds",
      help: "Duration of RPCs served, by service, method and gRPC status code.",
      labelNames: ["service", "method", "code"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    rpcClient: new Histogram({
      name: "rpc_client_duration_seconds",
      help: "Duration of outgoing RPCs, by target service, method and gRPC status code.",
      labelNames: ["service", "method", "code"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    rpcClientBreaker: new Gauge({
      name: "rpc_client_circuit_breaker_state",
      help: "State of the circuit breaker of outgoing calls to a method: 0 closed, 1 open, 2 half-open, 3 isolated.",
      labelNames: ["service", "method"],
      registers: [registry],
    }),
    httpServer: new Histogram({
      name: "http_server_duration_seconds",
      help: "Duration of HTTP requests served, by method, route pattern and status code.",
      labelNames: ["method", "route", "status_code"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
  };
}
