import { z } from "zod";

/** One bad variable and what is wrong with it. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Thrown when the environment does not satisfy a service's config schema; names every bad variable. */
export class ConfigError extends Error {
  readonly variables: readonly string[];
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super("invalid configuration:\n" + problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n"));
    this.name = "ConfigError";
    this.variables = problems.map((p) => p.variable);
    this.problems = problems;
  }
}

/**
 * Parses the environment once against a zod object schema whose keys are variable names, and
 * returns a frozen result. `process.env` is read nowhere else in a service.
 *
 * @example
 *   const Config = z.object({ PORT: port(50051), DATABASE_URL: z.url() });
 *   const config = loadConfig(Config); // throws ConfigError naming PORT if PORT=abc
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): Readonly<z.infer<S>> {
  // Empty strings count as unset, as shells and compose files often export them that way.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? "(environment)");
        // zod drops `issue.input` from reported issues, so whether the variable was set decides "required".
        const missing = issue.code === "invalid_type" && cleaned[variable] === undefined;
        return { variable, message: missing ? "is required" : issue.message };
      }),
    );
  }
  return Object.freeze(result.data);
}

/** A TCP port from the environment with a default. */
export const port = (defaultPort: number) => z.coerce.number().int().min(0).max(65535).default(defaultPort);

/** `host:port`: a name, an IPv4 address or a bracketed IPv6 address, and a port from 1 to 65535. */
export function isHostPort(value: string): boolean {
  const port = /^(?:[\w.-]+|\[[\d:a-fA-F]+\]):(\d{1,5})$/.exec(value)?.[1];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
}

/**
 * Where a gRPC client dials: `host:port`; several replicas as `10.0.0.7:50054,10.0.0.8:50054`
 * (IPv4 addresses); or a grpc-js target naming its resolver, `dns:///orders.tessera.svc:50054`
 * (every address the name resolves to, as a Kubernetes headless Service gives) or `ipv4:`/`ipv6:`.
 */
export function isGrpcTarget(value: string): boolean {
  if (isHostPort(value)) return true;
  if (/^(dns|ipv4|ipv6):\S+$/.test(value)) return true;
  const addresses = value.split(",");
  return (
    addresses.length > 1 &&
    addresses.every((entry) => /^\d{1,3}(\.\d{1,3}){3}:/.test(entry) && isHostPort(entry))
  );
}

/** A plain `host:port` with a default (an HTTP server's, which nothing balances). */
export const hostPort = (defaultAddress: string) =>
  z.string().refine(isHostPort, "must be host:port").default(defaultAddress);

/** A gRPC address with a default: `host:port`, a comma-separated list of IPv4 `host:port`, or a `dns:`/`ipv4:`/`ipv6:` target. */
export const address = (defaultAddress: string) =>
  z
    .string()
    .refine(
      isGrpcTarget,
      "must be host:port, a comma-separated list of IPv4 host:port, or a dns:, ipv4: or ipv6: target",
    )
    .default(defaultAddress);

/** A boolean flag: true/false/1/0/yes/no. */
export const flag = (defaultValue: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .default(defaultValue ? "true" : "false")
    .transform((v) => v === "true" || v === "1" || v === "yes");

/** The settings every service shares; a service's own schema extends it. */
export const BaseConfig = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  TESSERA_MODE: z.enum(["embedded", "infra"]).default("infra"),
  /** Address and port of the ops HTTP server: /metrics, /healthz, /readyz. */
  OPS_HOST: z.string().default("127.0.0.1"),
  OPS_PORT: port(0),
  /** How long shutdown waits for in-flight work before it forces the exit. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(8_000),
  /** Default deadline of outgoing RPCs that have no incoming deadline to inherit. */
  RPC_DEADLINE_MS: z.coerce.number().int().min(10).max(120_000).default(2_000),
  /** OTLP/HTTP endpoint for traces, e.g. http://otel-collector:4318/v1/traces; unset: spans are not exported. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  /** Recent finished spans kept in memory and served at `/spans` on the ops port (`npm run trace`); 0 keeps none. */
  TRACE_BUFFER_SPANS: z.coerce.number().int().min(0).max(100_000).default(2_000),
});

/** `loadConfig`, adding what is wrong to `problems` instead of throwing. */
export function loadConfigInto<S extends z.ZodObject>(
  problems: ConfigProblem[],
  schema: S,
  env: Record<string, string | undefined>,
): Readonly<z.infer<S>> | undefined {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

export { z };
