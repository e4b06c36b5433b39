import { BaseConfig, ConfigError, loadConfig, port, z } from "@tessera/kit";
import { parseReplicas, type Replicas } from "./replicas.ts";
import { POSTGRES_PORT, SERVICES } from "./services.ts";
import { SystemPortsEnv } from "./system-ports.ts";

export type Environment = Readonly<Record<string, string | undefined>>;

// TESSERA_PORT_OFFSET and GATEWAY_PORT are read as every tool reads them (system-ports.ts).
const RunnerEnv = SystemPortsEnv.extend({
  /** Runner state: the PostgreSQL cluster (`postgres/`), its log, credentials, the run lock. */
  TESSERA_DATA_DIR: z.string().optional(),
  TESSERA_PG_PORT: port(POSTGRES_PORT),
  /** An admin URL of an external PostgreSQL: databases and roles are created there instead. */
  TESSERA_PG_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }).optional(),
  LOG_LEVEL: BaseConfig.shape.LOG_LEVEL,
  /** Processes per service, `orders=2,inventory=2` (replicas.ts); one each when unset. */
  TESSERA_REPLICAS: z.string().default(""),
});

export interface RunnerConfig {
  /** Absolute or repo-relative; resolved against the repository root. */
  dataDir: string | undefined;
  pgPort: number;
  portOffset: number;
  pgUrl: string | undefined;
  gatewayPort: number;
  logLevel: string;
  /** `DATABASE_URL_<SERVICE>` values by lower-case service name: passed through, nothing created. */
  databaseUrls: Readonly<Record<string, string>>;
  /** Processes per service from `TESSERA_REPLICAS`; a service not named runs one. */
  replicas: Replicas;
}

/** Reads the runner's own variables once; a bad value throws a ConfigError naming it. */
export function readRunnerConfig(env: Environment): RunnerConfig {
  const parsed = loadConfig(RunnerEnv, env);
  const databaseUrls: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const service = /^DATABASE_URL_([A-Z][A-Z0-9_]*)$/.exec(name)?.[1];
    if (service && value) databaseUrls[service.toLowerCase()] = value;
  }
  return Object.freeze({
    dataDir: parsed.TESSERA_DATA_DIR,
    pgPort: parsed.TESSERA_PG_PORT,
    portOffset: parsed.TESSERA_PORT_OFFSET,
    pgUrl: parsed.TESSERA_PG_URL,
    gatewayPort: parsed.GATEWAY_PORT,
    logLevel: parsed.LOG_LEVEL,
    databaseUrls: Object.freeze(databaseUrls),
    replicas: readReplicas(parsed.TESSERA_REPLICAS),
  });
}

function readReplicas(value: string): Replicas {
  try {
    return parseReplicas(
      value,
      SERVICES.map((service) => service.name),
    );
  } catch (error) {
    throw new ConfigError([{ variable: "TESSERA_REPLICAS", message: (error as Error).message }]);
  }
}
