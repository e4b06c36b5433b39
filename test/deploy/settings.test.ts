import { describe, expect, it } from "vitest";
import { BaseConfig } from "../../packages/kit/src/config.ts";
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

const OWN: Record<ServiceName, { shape: object }> = {
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
  const kit: { shape: object }[] = [BaseConfig, AuthConfig, TlsConfig];
  if (SERVICES.find((service) => service.name === name)?.database) kit.push(DatabaseConfig, EventsConfig);
  return new Set([OWN[name], ...kit].flatMap((schema) => Object.keys(schema.shape)));
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
});
