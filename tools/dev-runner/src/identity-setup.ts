import { join } from "node:path";
import type { Environment } from "./config.ts";
import { clientSecretKey, storedSecrets } from "./credentials.ts";

export { clientSecretKey };
import type { PlannedService } from "./service-plan.ts";
import { PORTS } from "./services.ts";

/** The confidential clients identity knows on a laptop: the two tools, and one per other service. */
export const IDENTITY_CLIENT_IDS: readonly string[] = [
  "tessera-checker",
  "tessera-bench",
  ...Object.keys(PORTS).map((name) => `svc-${name}`),
];

/** Their names in credentials.json, beside the role passwords (no role has a colon in its name). */
export const ADMIN_PASSWORD_KEY = "identity:admin";

export interface IdentitySetup {
  /** Identity's variables the runner fills in, where its own environment sets none. */
  env: Record<string, string>;
  /** The issuer every token names (the developer's IDENTITY_ISSUER, else `<gateway>/oidc`). */
  issuer: string;
  /** The confidential clients' secrets by client id, for the services and tools that use them. */
  clientSecrets: Readonly<Record<string, string>>;
  /** The administrator's e-mail and password, when this run generated the password: to show once. */
  newAdmin: { email: string; password: string } | undefined;
}

/**
 * What identity needs on a laptop: its issuer on the gateway's origin (`<gateway>/oidc`), the
 * administrator's password and the service clients' secrets, generated once into credentials.json
 * as the role passwords are. A variable the developer set wins.
 */
export async function identitySetup({
  dataDir,
  gatewayUrl,
  env,
}: {
  dataDir: string;
  gatewayUrl: string;
  env: Environment;
}): Promise<IdentitySetup> {
  const { values, created } = await storedSecrets(join(dataDir, "credentials.json"), [
    ADMIN_PASSWORD_KEY,
    ...IDENTITY_CLIENT_IDS.map(clientSecretKey),
  ]);
  const password = values[ADMIN_PASSWORD_KEY] ?? "";
  const generated: Record<string, string> = {
    IDENTITY_ISSUER: new URL("oidc", gatewayUrl).href,
    IDENTITY_ADMIN_PASSWORD: password,
    IDENTITY_SERVICE_CLIENTS: IDENTITY_CLIENT_IDS.map((id) => `${id}:${values[clientSecretKey(id)]}`).join(
      ",",
    ),
  };
  const unset = (name: string) => !env[name];
  return {
    env: Object.fromEntries(Object.entries(generated).filter(([name]) => unset(name))),
    issuer: env["IDENTITY_ISSUER"] || generated["IDENTITY_ISSUER"] || "",
    clientSecrets: Object.fromEntries(
      IDENTITY_CLIENT_IDS.map((id) => [id, values[clientSecretKey(id)] ?? ""]),
    ),
    newAdmin:
      created.includes(ADMIN_PASSWORD_KEY) && unset("IDENTITY_ADMIN_PASSWORD")
        ? { email: env["IDENTITY_ADMIN_EMAIL"] || "admin@tessera.local", password }
        : undefined,
  };
}

/**
 * What a service needs to trust identity's tokens and to get its own (`svc-<name>`): the issuer it
 * checks, and identity's JWKS and token endpoints at its internal address; the gateway also proxies
 * `/oidc` there.
 */
export function authEnvironment(
  service: string,
  setup: Pick<IdentitySetup, "issuer" | "clientSecrets">,
  identityHttpPort: number,
): Record<string, string> {
  const internal = `http://127.0.0.1:${identityHttpPort}/oidc`;
  const clientId = `svc-${service}`;
  return {
    AUTH_ISSUER: setup.issuer,
    AUTH_JWKS_URL: `${internal}/jwks`,
    AUTH_TOKEN_URL: `${internal}/token`,
    AUTH_CLIENT_ID: clientId,
    AUTH_CLIENT_SECRET: setup.clientSecrets[clientId] ?? "",
    ...(service === "gateway" ? { IDENTITY_HTTP_ADDR: `127.0.0.1:${identityHttpPort}` } : {}),
  };
}

/**
 * The variables the runner generates per service when identity is in the plan: identity's own
 * (issuer, admin password, client secrets) and every service's auth settings; prints the
 * administrator's password the one time it is generated.
 */
export async function identityEnvironments(
  settings: { plan: readonly PlannedService[]; dataDir: string; gatewayUrl: string; env: Environment },
  progress: (line: string) => void,
): Promise<Map<string, Record<string, string>>> {
  const generated = new Map<string, Record<string, string>>();
  const identityPlan = settings.plan.find((service) => service.name === "identity");
  if (identityPlan?.httpPort === undefined) return generated;
  const identity = await identitySetup(settings);
  for (const service of settings.plan) {
    generated.set(service.service, authEnvironment(service.service, identity, identityPlan.httpPort));
  }
  // Identity checks the tokens of its own RPCs like every service, against its own keys.
  generated.set("identity", { ...generated.get("identity"), ...identity.env });
  if (identity.newAdmin) {
    progress(
      `identity: the administrator is ${identity.newAdmin.email}, password ${identity.newAdmin.password} ` +
        `(shown this once; kept in ${join(settings.dataDir, "credentials.json")})`,
    );
  }
  return generated;
}
