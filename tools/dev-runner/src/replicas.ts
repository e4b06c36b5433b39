/**
 * Several processes of one service (`TESSERA_REPLICAS=orders=2,inventory=2`): how many, what each
 * is called and where each listens.
 *
 * Replica 1 is the service as it always ran (name `orders`, its fixed ports). Replica k is named
 * `orders#k` and listens `REPLICA_PORT_STEP * (k - 1)` above each fixed port, offset like them:
 * orders#2 on gRPC 50154 and ops 9154. With at most `MAX_REPLICAS`, every replica port stays
 * within 700 of its base, clear of every other fixed port of services.ts.
 */

/** At most this many processes of one service: a laptop has a few cores, not dozens. */
export const MAX_REPLICAS = 8;

/** How far apart the ports of two successive replicas of a service are. */
export const REPLICA_PORT_STEP = 100;

/**
 * Services that run one process whatever is asked: the gateway owns the public port, and identity's
 * HTTP port (its OIDC provider) is proxied by the gateway to one address.
 */
export const SINGLE_PROCESS: Readonly<Record<string, string>> = {
  gateway: "it owns the one public HTTP port",
  identity: "the gateway proxies its HTTP (OIDC) port to one address",
};

/** Replica counts by service; a service not named runs one process. */
export type Replicas = Readonly<Record<string, number>>;

/**
 * Reads `orders=2,inventory=2`; throws a plain Error saying what is wrong (unknown service, a count
 * that is not 1 to `MAX_REPLICAS`, a service named twice, a single-process service).
 *
 * @example
 *   parseReplicas("orders=2, payments=3", ["orders", "payments"]); // { orders: 2, payments: 3 }
 */
export function parseReplicas(value: string, services: readonly string[]): Replicas {
  const replicas: Record<string, number> = {};
  for (const entry of value.split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    const [name = "", count, ...rest] = entry.split("=").map((part) => part.trim());
    if (count === undefined || rest.length > 0)
      throw new Error(`"${entry}" is not <service>=<count> (e.g. orders=2)`);
    if (!services.includes(name))
      throw new Error(`unknown service "${name}"; the services are ${services.join(", ")}`);
    const single = SINGLE_PROCESS[name];
    if (single !== undefined && count !== "1") throw new Error(`${name} runs one process: ${single}`);
    if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > MAX_REPLICAS)
      throw new Error(`${name}=${count}: the count must be a whole number from 1 to ${MAX_REPLICAS}`);
    if (name in replicas) throw new Error(`${name} is named twice`);
    replicas[name] = Number(count);
  }
  return Object.freeze(replicas);
}

/** The name a replica runs and logs under: `orders` for the first, `orders#2` for the second. */
export const replicaName = (service: string, replica: number): string =>
  replica === 1 ? service : `${service}#${replica}`;

/** A replica's port from its service's (already offset) port. */
export const replicaPort = (port: number, replica: number): number =>
  port + REPLICA_PORT_STEP * (replica - 1);
