import { randomBytes } from "node:crypto";
import { freePort, startTestService, type TestDatabase } from "@tessera/kit/testing";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { discover } from "../client/sign-in.ts";
import { createIdentity } from "../wiring.ts";

export interface TestIdentityOptions {
  /** Reuse a database (a restart); a fresh one is made and dropped on stop otherwise. */
  database?: TestDatabase;
  /** Reuse secrets (a restart), so the admin and the clients are the same. */
  secrets?: TestSecrets;
  /** Listen on this port (a restart keeps its issuer); a free one otherwise. */
  port?: number;
  env?: Record<string, string>;
  clock?: () => Date;
}

export interface TestSecrets {
  adminPassword: string;
  clients: Readonly<Record<string, string>>;
}

export type TestIdentity = Awaited<ReturnType<typeof startTestIdentity>>;

export const TEST_ADMIN_EMAIL = "admin@tessera.test";

/**
 * Identity wired as in main.ts, in this process, on a fresh test database and a free HTTP port,
 * its issuer at its own origin (`http://127.0.0.1:<port>/oidc`): no gateway in front.
 */
export async function startTestIdentity(options: TestIdentityOptions = {}) {
  const secrets: TestSecrets = options.secrets ?? {
    adminPassword: randomBytes(18).toString("base64url"),
    clients: Object.fromEntries(
      ["svc-orders", "svc-gateway", "tessera-checker"].map((id) => [
        id,
        randomBytes(24).toString("base64url"),
      ]),
    ),
  };
  const port = options.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}/oidc`;
  const identity = await startTestService(
    "identity",
    (env) => createIdentity({ env, clock: options.clock }),
    {
      IDENTITY_HOST: "127.0.0.1",
      IDENTITY_PORT: String(port),
      IDENTITY_ISSUER: issuer,
      IDENTITY_ADMIN_EMAIL: TEST_ADMIN_EMAIL,
      IDENTITY_ADMIN_PASSWORD: secrets.adminPassword,
      IDENTITY_SERVICE_CLIENTS: JSON.stringify(secrets.clients),
      ...options.env,
    },
    { database: options.database },
  );
  return {
    ...identity,
    issuer,
    port,
    secrets,
    /** Stops the service; drops the database unless it was given or `keepDatabase`. */
    async stop({ keepDatabase = options.database !== undefined } = {}) {
      await identity.service.stop();
      if (!keepDatabase) await identity.database.drop();
    },
  };
}

/**
 * A test identity with what a client reads first: its discovery document, and a verifier of the
 * API access tokens it issues (signature from its JWKS, issuer, audience, `at+jwt`).
 */
export async function startDiscoveredIdentity(options: TestIdentityOptions = {}) {
  const identity = await startTestIdentity(options);
  const discovery = await discover(identity.issuer);
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const verify = (token: string) =>
    jwtVerify(token, jwks, { issuer: identity.issuer, audience: "urn:tessera:api", typ: "at+jwt" });
  return { identity, discovery, verify };
}

export type DiscoveredIdentity = Awaited<ReturnType<typeof startDiscoveredIdentity>>;
