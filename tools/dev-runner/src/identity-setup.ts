import { join } from "node:path";
import type { Environment } from "./config.ts";
import { storedSecrets } from "./credentials.ts";
import { PORTS } from "./services.ts";

/** The confidential clients identity knows on a laptop: the two tools, and one per other service. */
export const IDENTITY_CLIENT_IDS: readonly string[] = [
  "tessera-checker",
  "tessera-bench",
  ...Object.keys(PORTS)
    .filter((name) => name !== "identity")
    .map((name) => `svc-${name}`),
];

/** Their names in credentials.json, beside the role passwords (no role has a colon in its name). */
export const ADMIN_PASSWORD_KEY = "identity:admin";
export const clientSecretKey = (clientId: string): string => `identity:client:${clientId}`;

export interface IdentitySetup {
  /** Identity's variables the runner fills in, where its own environment sets none. */
  env: Record<string, string>;
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
    newAdmin:
      created.includes(ADMIN_PASSWORD_KEY) && unset("IDENTITY_ADMIN_PASSWORD")
        ? { email: env["IDENTITY_ADMIN_EMAIL"] || "admin@tessera.local", password }
        : undefined,
  };
}
