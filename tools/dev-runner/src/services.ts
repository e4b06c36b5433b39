/**
 * The services `npm start` runs, and the ports every service of the design owns.
 *
 * Adding a service is one row in `SERVICES`: its ports come from `PORTS` (reserved here long before
 * the service exists, so they never move), `database` asks the runner for a database and a role of
 * its own, and `calls` hands it the gRPC address of each service it calls as `<NAME>_ADDR`.
 */

/** Fixed ports before `TESSERA_PORT_OFFSET`: gRPC 5005x and ops (/healthz, /readyz, /metrics) 905x. */
export const PORTS = {
  // Its HTTP port serves the OIDC provider (sign-in pages, tokens), which the gateway proxies as /oidc.
  identity: { grpc: 50050, ops: 9050, http: 8090 },
  catalog: { grpc: 50051, ops: 9051 },
  cart: { grpc: 50052, ops: 9052 },
  inventory: { grpc: 50053, ops: 9053 },
  orders: { grpc: 50054, ops: 9054 },
  payments: { grpc: 50055, ops: 9055 },
  notifications: { grpc: 50056, ops: 9056 },
  // The public edge: its HTTP port is never offset; GATEWAY_PORT sets it directly.
  gateway: { http: 8080, ops: 9080 },
} as const satisfies Record<string, ServicePorts>;

/** The embedded PostgreSQL server's port before `TESSERA_PORT_OFFSET` (`TESSERA_PG_PORT` overrides). */
export const POSTGRES_PORT = 54329;

export type ServiceName = keyof typeof PORTS;

/** A service with a gRPC port, which others can call. */
export type RpcServiceName = {
  [N in ServiceName]: (typeof PORTS)[N] extends { grpc: number } ? N : never;
}[ServiceName];

export interface ServicePorts {
  grpc?: number;
  ops: number;
  /**
   * An HTTP port, passed as `<NAME>_PORT` (with `<NAME>_HOST=127.0.0.1`). Offset like the others,
   * except the gateway's public one, which `GATEWAY_PORT` sets directly.
   */
  http?: number;
}

export interface ServiceDefinition {
  name: ServiceName;
  ports: ServicePorts;
  /** Gets database `tessera_<name>` owned by role `<name>`, as `DATABASE_URL`. */
  database: boolean;
  /**
   * Services this one calls; each arrives as `<NAME>_ADDR=127.0.0.1:<grpc port>`, or with
   * `TESSERA_REPLICAS` every replica's address, comma-separated (replicas.ts).
   */
  calls?: readonly RpcServiceName[];
  /** Constant extra environment. */
  env?: Readonly<Record<string, string>>;
}

// `calls` lists every service whose address a service needs: the ones it calls over gRPC and,
// with the direct event transport, the producers whose events it consumes.
export const SERVICES: readonly ServiceDefinition[] = [
  { name: "identity", ports: PORTS.identity, database: true },
  { name: "catalog", ports: PORTS.catalog, database: true },
  { name: "inventory", ports: PORTS.inventory, database: true, calls: ["catalog", "orders"] },
  { name: "payments", ports: PORTS.payments, database: true, calls: ["orders"] },
  { name: "cart", ports: PORTS.cart, database: true, calls: ["catalog", "orders"] },
  { name: "orders", ports: PORTS.orders, database: true, calls: ["cart", "inventory", "payments"] },
  { name: "notifications", ports: PORTS.notifications, database: true, calls: ["orders"] },
  {
    name: "gateway",
    ports: PORTS.gateway,
    database: false,
    calls: ["catalog", "cart", "orders", "notifications"],
  },
];

/** The entry point of a service, relative to the repository root. */
export const entryPoint = (name: string): string => `services/${name}/src/main.ts`;

/**
 * How every service process runs. Measured with `npm run bench`: V8 keeps its young generation
 * small and its old generation bounded, and glibc keeps two malloc arenas instead of one per
 * thread, so a service stays near 150 MB RSS under load instead of 250-350 MB.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8", "--max-old-space-size=96"];
export const SERVICE_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };
