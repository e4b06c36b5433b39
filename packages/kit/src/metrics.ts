import { Histogram, Registry, collectDefaultMetrics, type Counter, type Gauge } from "prom-client";

export type { Counter, Gauge, Histogram, Registry };

/** Latency buckets in seconds, from sub-millisecond in-process calls to multi-second timeouts. */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The RED metrics (rate, errors, duration) every service records, on its own registry. */
export interface Metrics {
  registry: Registry;
  rpcServer: Histogram<"service" | "method" | "code">;
  rpcClient: Histogram<"service" | "method" | "code">;
  httpServer: Histogram<"method" | "route" | "status_code">;
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
