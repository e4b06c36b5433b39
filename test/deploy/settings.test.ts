import { describe, expect, it } from "vitest";
import { BaseConfig, loadConfig, type z } from "../../packages/kit/src/config.ts";
import { AuthConfig, DatabaseConfig, EventsConfig } from "../../packages/kit/src/service-config.ts";
import { TlsConfig } from "../../packages/kit/src/tls-config.ts";
import { CartConfig } from "../../services/cart/src/config.ts";
import { CatalogConfig } from "../../services/catalog/src/config.ts";
import { GatewayConfig } from "../../services/gateway/src/config.ts";
import { IdentityConfig } from "../../services/identity/src/config.ts";
import { InventoryConfig } from "../../services/inventory/src/config.ts";
import { NotificationsConfig } from "../../services/notifications/src/config.ts";
import { OrdersConfig } from "../../services/orders/src/config.ts";
import { PaymentsConfig } from "../../services/payments/src/config.ts";
import { SERVICES, type ServiceName } from "../../tools/dev-runner/src/services.ts";
import { OVERLAYS, ofKind, parseYamlDocuments, readRepoFile, renderOverlay } from "./deploy-files.ts";

const OWN: Record<ServiceName, z.ZodObject> = {
  identity: IdentityConfig,
  catalog: CatalogConfig,
  cart: CartConfig,
  inventory: InventoryConfig,
  orders: OrdersConfig,
  payments: PaymentsConfig,
  notifications: NotificationsConfig,
  gateway: GatewayConfig,
};

/** Every variable a service reads: its own schema's, and the kit's for a service like it (createService). */
function variablesOf(name: ServiceName): Set<string> {
  return new Set(schemasOf(name).flatMap((schema) => Object.keys(schema.shape)));
}

/** The schemas a service's environment is parsed with at start: its own and the kit's (createService). */
function schemasOf(name: ServiceName): z.ZodObject[] {
  const kit: z.ZodObject[] = [BaseConfig, AuthConfig, TlsConfig];
  if (SERVICES.find((service) => service.name === name)?.database) kit.push(DatabaseConfig, EventsConfig);
  return [OWN[name], ...kit];
}

/** Stand-ins for what each service's Secret holds in a cluster (deploy/README.md lists them). */
const SECRET_STAND_INS: Record<string, string> = {
  DATABASE_URL: "postgres://service:password@postgres-rw.databases.svc:5432/tessera_service",
  AUTH_CLIENT_SECRET: "a-client-secret-of-24-characters-or-more",
  IDENTITY_ADMIN_PASSWORD: "an-administrator-password",
  IDENTITY_SERVICE_CLIENTS: "svc-orders:a-client-secret-of-24-characters-or-more",
  REDIS_URL: "redis://redis-master.redis.svc:6379",
};

/** Throws the ConfigError a service would stop with, naming every bad variable. */
function parseAsService(name: ServiceName, env: Record<string, string>): void {
  for (const schema of schemasOf(name)) loadConfig(schema, env);
}

// Besides the services' settings, what the C library and Node.js read from the environment.
const RUNTIME = new Set(["MALLOC_ARENA_MAX"]);
const NAMES = SERVICES.map((service) => service.name);

describe("the settings the deployments give", () => {
  it.each(OVERLAYS)("in the %s overlay, are each read by the services given them", (overlay) => {
    const configMaps = ofKind<{ metadata: { name: string }; data?: Record<string, string> }>(
      renderOverlay(overlay),
      "ConfigMap",
    );
    const known = (names: readonly ServiceName[]) => new Set(names.flatMap((name) => [...variablesOf(name)]));
    for (const configMap of configMaps) {
      const owner = NAMES.find((name) => configMap.metadata.name.startsWith(`${name}-config-`));
      // tessera-config goes to every service: each of its variables must be read by one at least.
      const readers = known(owner === undefined ? NAMES : [owner]);
      for (const variable of Object.keys(configMap.data ?? {})) {
        expect(readers, `${configMap.metadata.name}: ${variable}`).toContain(variable);
      }
    }
  });

  it("in compose, are each read by the service given them", () => {
    const compose = parseYamlDocuments(readRepoFile("deploy/compose/compose.yaml"))[0] as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    for (const name of NAMES) {
      const known = variablesOf(name);
      for (const variable of Object.keys(compose.services[name]?.environment ?? {})) {
        if (!RUNTIME.has(variable)) expect(known, `${name}: ${variable}`).toContain(variable);
      }
    }
  });

  it.each(OVERLAYS)("in the %s overlay, are what each service accepts at start", (overlay) => {
    const objects = renderOverlay(overlay);
    const data = (configMap: string) =>
      ofKind<{ metadata: { name: string }; data?: Record<string, string> }>(objects, "ConfigMap").find(
        (object) => object.metadata.name === configMap,
      )?.data ?? {};
    for (const name of NAMES) {
      const deployment = ofKind<{
        metadata: { name: string };
        spec: { template: { spec: { containers: { envFrom: { configMapRef?: { name: string } }[] }[] } } };
      }>(objects, "Deployment").find((object) => object.metadata.name === name);
      const configMaps = (deployment?.spec.template.spec.containers[0]?.envFrom ?? []).flatMap((source) =>
        source.configMapRef ? [source.configMapRef.name] : [],
      );
      const env = Object.assign({}, SECRET_STAND_INS, ...configMaps.map(data)) as Record<string, string>;
      expect(() => parseAsService(name, env), name).not.toThrow();
    }
  });

  it("in compose, are what each service accepts at start", () => {
    const compose = parseYamlDocuments(
      interpolateDefaults(readRepoFile("deploy/compose/compose.yaml")),
    )[0] as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    for (const name of NAMES) {
      // What the image sets (deploy/docker/Dockerfile), then what compose adds.
      const image = {
        NODE_ENV: "production",
        TESSERA_MODE: "infra",
        GRPC_HOST: "0.0.0.0",
        OPS_HOST: "0.0.0.0",
      };
      const env = { ...image, ...compose.services[name]?.environment };
      expect(() => parseAsService(name, env), name).not.toThrow();
    }
  });
});

/** Compose's `${NAME:-default}` with every variable unset: the defaults a laptop runs with. */
const interpolateDefaults = (text: string) =>
  text.replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_, fallback?: string) => fallback ?? "");
