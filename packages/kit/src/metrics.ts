import { Counter, Histogram, Registry, collectDefaultMetrics, type Gauge } from "prom-client";

export type { Counter, Gauge, Histogram, Registry };

/** Latency buckets in seconds, from sub-millisecond in-process calls to multi-second timeouts. */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The RED metrics (rate, errors, duration) every service records, on its own registry. */
export interface Metrics {
  registry: Registry;
  rpcServer: Histogram<"service" | "method" | "code">;
  rpcClient: Histogram<"service" | "method" | "code">;
  httpServer: Histogram<"method" | "route" | "status_code">;
  /**
   * A counter of the service's own, on its registry (the same one again for the same name), so a
   * service records domain metrics without depending on prom-client itself.
   *
   * @example
   *   const transitions = metrics.counter("saga_transitions_total", "Saga transitions.", ["from", "to"]);
   *   transitions.inc({ from: "pending", to: "stock_reserved" });
   */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L>;
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
    httpServer: new Histogram({
      name: "http_server_duration_seconds",
      help: "Duration of HTTP requests served, by method, route pattern and status code.",
      labelNames: ["method", "route", "status_code"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
  };
}
