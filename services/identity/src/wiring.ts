import { once } from "node:events";
import type { Server } from "node:http";
import { createService } from "@tessera/kit";
import { Accounts } from "./accounts.ts";
import { IdentityConfig } from "./config.ts";
import { CurrentProvider } from "./current-provider.ts";
import { createIdentityHttpServer } from "./http-server.ts";
import { interactionPages } from "./interactions.ts";
import { KEY_RETENTION_MS } from "./lifetimes.ts";
import { LoginThrottle } from "./login-throttle.ts";
import { postgresAdapter, pruneOidcModels } from "./oidc-adapter.ts";
import { createProvider } from "./provider.ts";
import { SigningKeys } from "./signing-keys.ts";
import { UserStore } from "./user-store.ts";

export interface IdentityOptions {
  /** The environment to read; `process.env` when omitted. */
  env?: Record<string, string | undefined>;
  /** Time for throttling and key rotation; the wall clock when omitted. */
  clock?: () => Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The identity service: users and sign-in throttling in its database, oidc-provider on that same
 * database with signing keys kept there and rotated, its pages and endpoints on its own HTTP port
 * under the issuer's path. main.ts calls this, and so do the tests.
 */
export async function createIdentity(options: IdentityOptions = {}) {
  const service = await createService({
    name: "identity",
    config: IdentityConfig,
    database: { migrations: new URL("../migrations", import.meta.url) },
    env: options.env,
  });
  const { config, db, log } = service;
  const clock = options.clock ?? (() => new Date());
  const mountPath = new URL(config.IDENTITY_ISSUER).pathname.replace(/\/$/, "");
  const accounts = new Accounts({ users: new UserStore(db), throttle: new LoginThrottle(db), clock });
  const keys = new SigningKeys({
    db,
    clock,
    rotationMs: config.IDENTITY_KEY_ROTATION_DAYS * DAY_MS,
    retentionMs: KEY_RETENTION_MS,
  });
  const adapter = postgresAdapter(db);
  const current = new CurrentProvider(
    (signingKeys) =>
      createProvider({ settings: config, keys: signingKeys, adapter, accounts, log, mountPath }),
    log,
  );
  const http = createIdentityHttpServer({
    mountPath,
    current,
    interactions: interactionPages({ current, accounts, mountPath, log }),
    log,
  });

  service.beforeServing(async () => {
    if (config.IDENTITY_ADMIN_PASSWORD === undefined) {
      log.warn("IDENTITY_ADMIN_PASSWORD is not set: no administrator is seeded");
    } else {
      await accounts.ensureAdmin(config.IDENTITY_ADMIN_EMAIL, config.IDENTITY_ADMIN_PASSWORD);
    }
    current.use(await keys.maintain());
    await listen(http, config.IDENTITY_HOST, config.IDENTITY_PORT);
    log.info(
      { "http.port": config.IDENTITY_PORT, "identity.issuer": config.IDENTITY_ISSUER },
      "identity serving",
    );
  });
  service.readiness("http", () => Promise.resolve(http.listening));
  // Rotation when due, a key rotated by another replica or by rotate-keys.ts, old keys dropped.
  service.every("signing-keys", config.IDENTITY_KEY_CHECK_INTERVAL_MS, async () =>
    current.use(await keys.maintain()),
  );
  service.every("prune", config.IDENTITY_PRUNE_INTERVAL_MS, async () => {
    await pruneOidcModels(db, new Date());
    await accounts.pruneThrottle();
  });
  service.onStop(() => close(http));
  return { service, accounts, keys, http, issuer: config.IDENTITY_ISSUER };
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  server.listen(port, host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => Promise.reject(error as Error)),
  ]);
}

async function close(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Browsers keep connections open; idle ones would hold close() for minutes.
  server.closeIdleConnections();
  await closed;
}
