import type { Environment } from "./config.ts";
import { replicaName, replicaPort, type Replicas } from "./replicas.ts";
import type { RpcServiceName, ServiceDefinition } from "./services.ts";
import { systemPorts } from "./system-ports.ts";

export interface PlanOptions {
  portOffset: number;
  /** HTTP ports set directly by their variable, e.g. `{ GATEWAY_PORT: 8080 }`; never offset. Others are. */
  httpPorts: Readonly<Record<string, number>>;
  /** `DATABASE_URL_<SERVICE>` pass-through values by service name. */
  databaseUrls: Readonly<Record<string, string>>;
  logLevel: string;
  /** Processes per service (`TESSERA_REPLICAS`); one for a service not named. */
  replicas?: Replicas;
}

export interface PlannedService {
  /** What it runs and logs as: the service's name, `orders#2` for its second replica. */
  name: string;
  /** The service it is a process of: its entry point, database and credentials. */
  service: string;
  /** 1 for the first process of its service. */
  replica: number;
  grpcPort: number | undefined;
  opsPort: number;
  httpPort: number | undefined;
  /** `create`: the runner makes database `tessera_<name>` and role `<name>`; `given`: passed through. */
  database: "none" | "given" | "create";
  /** The service's own variables; `DATABASE_URL` is added once its database exists. */
  env: Readonly<Record<string, string>>;
}

/** Variables meant for the runner alone: an admin URL must never reach a service. */
const RUNNER_ONLY =
  /^(TESSERA_PG_URL|TESSERA_PG_PORT|TESSERA_DATA_DIR|TESSERA_PORT_OFFSET|TESSERA_REPLICAS|DATABASE_URL_.+)$/;

export const databaseName = (service: string): string => `tessera_${service}`;
export const httpPortVariable = (service: string): string => `${service.toUpperCase()}_PORT`;

/**
 * Resolves ports (with the offset) and each process's own environment from the table: one process
 * per service, or `replicas` of it (replicas.ts). A caller gets every replica of a service it calls
 * as `<NAME>_ADDR=127.0.0.1:50054,127.0.0.1:50154`, which its client balances round-robin.
 */
export function planServices(
  definitions: readonly ServiceDefinition[],
  options: PlanOptions,
): PlannedService[] {
  const ports = systemPorts({ offset: options.portOffset });
  const offset = ports.shift;
  const count = (service: string) => options.replicas?.[service] ?? 1;
  // Through `offset`, which refuses a port past 65535.
  const replicated = (base: number, replica: number) => offset(replicaPort(base, replica));
  const addresses = (callee: RpcServiceName) =>
    Array.from(
      { length: count(callee) },
      (_, index) => `127.0.0.1:${replicaPort(ports.grpc(callee), index + 1)}`,
    ).join(",");
  return definitions.flatMap((definition) =>
    Array.from({ length: count(definition.name) }, (_, index): PlannedService => {
      const replica = index + 1;
      const { name, ports: own } = definition;
      const grpcPort = own.grpc === undefined ? undefined : replicated(own.grpc, replica);
      const opsPort = replicated(own.ops, replica);
      const httpVariable = httpPortVariable(name);
      const httpPort =
        own.http === undefined ? undefined : (options.httpPorts[httpVariable] ?? offset(own.http));
      const givenUrl = options.databaseUrls[name];
      // A laptop system answers on loopback only: nothing (admin RPCs, ops ports) is reachable from the network.
      const env: Record<string, string> = {
        TESSERA_MODE: "embedded",
        LOG_LEVEL: options.logLevel,
        OPS_HOST: "127.0.0.1",
        OPS_PORT: String(opsPort),
      };
      if (grpcPort !== undefined) {
        env["GRPC_HOST"] = "127.0.0.1";
        env["GRPC_PORT"] = String(grpcPort);
      }
      if (httpPort !== undefined) {
        env[httpVariable.replace(/_PORT$/, "_HOST")] = "127.0.0.1";
        env[httpVariable] = String(httpPort);
      }
      for (const callee of definition.calls ?? []) env[`${callee.toUpperCase()}_ADDR`] = addresses(callee);
      if (definition.database && givenUrl) env["DATABASE_URL"] = givenUrl;
      Object.assign(env, definition.env);
      return {
        name: replicaName(name, replica),
        service: name,
        replica,
        grpcPort,
        opsPort,
        httpPort,
        database: definition.database ? (givenUrl ? "given" : "create") : "none",
        env,
      };
    }),
  );
}

/**
 * A child's whole environment: the runner's own, minus runner-only secrets and any inherited
 * port or database variable the service must not pick up by accident, plus its planned variables.
 */
export function childEnvironment(
  parent: Environment,
  service: PlannedService,
  databaseUrl?: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && !RUNNER_ONLY.test(name)) env[name] = value;
  }
  delete env["GRPC_PORT"];
  delete env["DATABASE_URL"];
  Object.assign(env, service.env);
  if (databaseUrl !== undefined) env["DATABASE_URL"] = databaseUrl;
  return env;
}
