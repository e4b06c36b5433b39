import { Ajv } from "ajv";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PORTS, SERVICES } from "../../tools/dev-runner/src/services.ts";
import { parseYamlDocuments, readRepoFile, repoRoot } from "./deploy-files.ts";

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  environment?: Record<string, string>;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  ports?: string[];
  command?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const composeDirectory = "deploy/compose";

/** Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME-default}` (before validation, as compose does). */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)(?::?-([^}]*))?\}/g,
    (_, name: string, fallback?: string) => env[name] ?? fallback ?? "",
  );
}

const load = (env: Record<string, string> = {}) =>
  parseYamlDocuments(interpolate(readRepoFile(`${composeDirectory}/compose.yaml`), env))[0] as {
    services: Record<string, ComposeService>;
  };

/** The schema's validator; the schema names JSON Schema draft-07 by its https address, which ajv knows by http. */
function composeValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const draft07 = createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-07.json") as object;
  ajv.addMetaSchema(draft07, "https://json-schema.org/draft-07/schema");
  return ajv.compile(JSON.parse(readRepoFile(`${composeDirectory}/schema/compose-spec.json`)) as object);
}
const validateCompose = composeValidator();

describe("deploy/compose/compose.yaml", () => {
  const { services } = load();

  it("follows the Compose Specification's schema", () => {
    expect(validateCompose(load()), JSON.stringify(validateCompose.errors, null, 2)).toBe(true);
  });

  it("would be refused by that schema with a misspelt key", () => {
    const broken = load();
    (broken.services["orders"] as Record<string, unknown>)["enviroment"] = {};
    expect(validateCompose(broken)).toBe(false);
  });

  it("runs PostgreSQL, NATS with JetStream, Redis, Prometheus and Grafana", () => {
    expect(services["postgres"]?.image).toMatch(/^postgres:/);
    expect(services["nats"]?.image).toMatch(/^nats:/);
    expect(services["nats"]?.command).toContain("--jetstream");
    expect(services["redis"]?.image).toMatch(/^redis:/);
    expect(services["prometheus"]?.image).toMatch(/^prom\/prometheus:/);
    expect(services["grafana"]?.image).toMatch(/^grafana\/grafana:/);
  });

  it("mounts the observability files where they live in deploy/", () => {
    const sources = (name: string) => (services[name]?.volumes ?? []).map((volume) => volume.split(":")[0]);
    expect(sources("prometheus")).toEqual(
      expect.arrayContaining(["../prometheus/prometheus.compose.yml", "../prometheus/rules/"]),
    );
    expect(sources("grafana")).toEqual(
      expect.arrayContaining(["../grafana/provisioning/", "../grafana/dashboards/"]),
    );
  });

  it("creates a database and a role for every service that has one", () => {
    const mount = services["postgres"]?.volumes?.find((volume) =>
      volume.includes("docker-entrypoint-initdb.d"),
    );
    const script = mount?.split(":")[0] ?? "";
    expect(existsSync(join(repoRoot, composeDirectory, script))).toBe(true);
    const loop = /for service in ([\w ]+); do/.exec(readRepoFile(join(composeDirectory, script)))?.[1];
    const withDatabase = SERVICES.filter((service) => service.database).map((service) => service.name);
    expect(loop?.split(" ").sort()).toEqual(withDatabase.sort());
  });

  it.each(SERVICES.map((service) => service.name))("builds and runs %s as Kubernetes does", (name) => {
    const definition = SERVICES.find((service) => service.name === name)!;
    const service = services[name]!;
    expect(service.build).toMatchObject({ context: "../..", dockerfile: "deploy/docker/Dockerfile" });
    expect(
      existsSync(join(repoRoot, composeDirectory, service.build!.context, service.build!.dockerfile)),
    ).toBe(true);
    expect(service.build?.args).toEqual({ SERVICE: name, OPS_PORT: String(PORTS[name].ops) });
    expect(service.read_only).toBe(true);
    expect(service.tmpfs).toEqual(["/tmp"]);
    expect(service.cap_drop).toEqual(["ALL"]);

    const env = service.environment ?? {};
    expect(env["EVENTS_TRANSPORT"]).toBe("nats");
    expect(env["AUTH_CLIENT_SECRET"]?.length).toBeGreaterThanOrEqual(24);
    if (definition.database) {
      expect(env["DATABASE_URL"]).toMatch(
        new RegExp(`^postgres://${name}:[^@]+@postgres:5432/tessera_${name}$`),
      );
    } else {
      expect(env["DATABASE_URL"]).toBeUndefined();
    }
    // Exactly the addresses services.ts hands it, at the callee's compose name.
    const addresses = Object.fromEntries(
      Object.entries(env).filter(([key]) => key.endsWith("_ADDR") && key !== "IDENTITY_HTTP_ADDR"),
    );
    const expected = Object.fromEntries(
      (definition.calls ?? []).map((callee) => [
        `${callee.toUpperCase()}_ADDR`,
        `dns:///${callee}:${PORTS[callee].grpc}`,
      ]),
    );
    expect(addresses).toEqual(expected);
    for (const dependency of Object.keys(service.depends_on ?? {}))
      expect(services).toHaveProperty(dependency);
  });

  it("gives identity a client for every service, with the secret that service is given", () => {
    const secret = "a-secret-set-in-the-environment";
    const { services: withSecret } = load({ TESSERA_CLIENT_SECRET: secret });
    const clients = Object.fromEntries(
      (withSecret["identity"]?.environment?.["IDENTITY_SERVICE_CLIENTS"] ?? "")
        .split(",")
        .map((entry) => entry.trim().split(":") as [string, string]),
    );
    for (const { name } of SERVICES) {
      expect(clients[`svc-${name}`]).toBe(withSecret[name]?.environment?.["AUTH_CLIENT_SECRET"]);
      expect(clients[`svc-${name}`]).toContain(secret);
    }
    expect(Object.keys(clients)).toHaveLength(SERVICES.length);
  });

  it("publishes the gateway on 8080, and no other service", () => {
    expect(services["gateway"]?.ports).toEqual(["8080:8080"]);
    for (const { name } of SERVICES) if (name !== "gateway") expect(services[name]?.ports).toBeUndefined();
  });
});
