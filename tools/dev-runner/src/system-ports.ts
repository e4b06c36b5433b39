import { loadConfig, port, z } from "@tessera/kit";
import { findBusyPorts, findFreePort } from "./ports.ts";
import { replicaPort, SINGLE_PROCESS } from "./replicas.ts";
import { PORTS, POSTGRES_PORT, type RpcServiceName, type ServiceName } from "./services.ts";

/**
 * The variables that say where a system the runner started listens. The runner and every tool
 * that talks to its services (the consistency checker, the benchmark) read them here, the same way,
 * so `TESSERA_PORT_OFFSET=3000 npm run check:consistency` checks the system started with that offset.
 */
export const SystemPortsEnv = z.object({
  /** Added to every gRPC, ops and PostgreSQL port, so a second instance (a test) never collides. */
  TESSERA_PORT_OFFSET: z.coerce.number().int().min(0).max(10_000).default(0),
  /** The gateway's public HTTP port, set directly (never offset). */
  GATEWAY_PORT: port(8080),
});

export interface SystemPorts {
  offset: number;
  /** A base port from `PORTS` moved by the offset; throws when that leaves the port range. */
  shift: (base: number) => number;
  grpc: (name: RpcServiceName) => number;
  ops: (name: ServiceName) => number;
  /** `127.0.0.1:<gRPC port>`: where a client on this machine dials the service. */
  grpcAddress: (name: RpcServiceName) => string;
  /** The embedded PostgreSQL's port. */
  postgres: () => number;
  gatewayUrl: string;
  /** Identity's own HTTP origin (its OIDC provider is under `/oidc`), before the gateway proxies it. */
  identityUrl: string;
  /**
   * Every port the runner binds itself for this offset: gRPC, ops, HTTP, PostgreSQL (not the
   * gateway's HTTP), and those of a second replica of each service that may have one (replicas.ts),
   * so a free offset stays free for a system run with `TESSERA_REPLICAS`.
   */
  all: () => number[];
}

/**
 * Where each service of a system listens, for a port offset.
 *
 * @example
 *   systemPorts({ offset: 3000 }).grpcAddress("orders"); // "127.0.0.1:53054"
 */
export function systemPorts({
  offset = 0,
  gatewayPort = 8080,
  pgPort = POSTGRES_PORT,
}: { offset?: number; gatewayPort?: number; pgPort?: number } = {}): SystemPorts {
  const shift = (base: number) => {
    const shifted = base + offset;
    if (shifted > 65535) throw new RangeError(`port ${shifted} is out of range: lower TESSERA_PORT_OFFSET`);
    return shifted;
  };
  const grpc = (name: RpcServiceName) => shift(PORTS[name].grpc);
  return {
    offset,
    shift,
    grpc,
    ops: (name) => shift(PORTS[name].ops),
    grpcAddress: (name) => `127.0.0.1:${grpc(name)}`,
    postgres: () => shift(pgPort),
    gatewayUrl: `http://127.0.0.1:${gatewayPort}/`,
    identityUrl: `http://127.0.0.1:${shift(PORTS.identity.http)}`,
    all: () => [
      shift(pgPort),
      ...Object.entries(PORTS).flatMap(([name, ports]) => [
        ...("grpc" in ports ? [shift(ports.grpc)] : []),
        shift(ports.ops),
        ...("http" in ports && name !== "gateway" ? [shift(ports.http)] : []),
        ...(name in SINGLE_PROCESS
          ? []
          : [
              shift(replicaPort(ports.ops, 2)),
              ...("grpc" in ports ? [shift(replicaPort(ports.grpc, 2))] : []),
            ]),
      ]),
    ],
  };
}

/** The ports of the system the environment points at; a bad value throws a ConfigError naming it. */
export function readSystemPorts(env: Readonly<Record<string, string | undefined>>): SystemPorts {
  const config = loadConfig(SystemPortsEnv, env);
  return systemPorts({ offset: config.TESSERA_PORT_OFFSET, gatewayPort: config.GATEWAY_PORT });
}

/**
 * A random offset in 1000–10000 whose ports are all free and none of them in `avoid`: a second
 * system beside a developer's running one.
 */
export async function findFreePortOffset({
  avoid = [],
}: { avoid?: readonly number[] } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 1_000 + Math.floor(Math.random() * 9_001);
    const ports = systemPorts({ offset }).all();
    if (ports.some((taken) => avoid.includes(taken))) continue;
    const claims = ports.map((free) => ({ port: free, host: "0.0.0.0", label: String(free) }));
    if ((await findBusyPorts(claims)).length === 0) return offset;
  }
  throw new Error("found no port offset whose ports are all free in 50 tries");
}

/** Where a second system listens: `startSystem`'s `gatewayPort` and `portOffset`, ready to spread in. */
export interface FreeSystemPorts {
  gatewayPort: number;
  portOffset: number;
}

/**
 * A free gateway port and a free port offset clear of it (`findFreePortOffset`): a whole second
 * system beside a developer's running one (tests, the benchmark).
 *
 * @example
 *   const system = await startSystem({ ...(await findFreeSystemPorts()), dataDir, output });
 */
export async function findFreeSystemPorts(): Promise<FreeSystemPorts> {
  const gatewayPort = await findFreePort();
  return { gatewayPort, portOffset: await findFreePortOffset({ avoid: [gatewayPort] }) };
}
