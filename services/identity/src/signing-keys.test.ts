import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { waitFor } from "@tessera/kit/testing";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { discover, refreshTokens, signIn } from "./client/sign-in.ts";
import { startTestIdentity, type TestIdentity } from "./testing/test-service.ts";

const PASSWORD = "a long enough password";
const DAY_MS = 24 * 60 * 60 * 1000;

async function publishedKids(identity: TestIdentity): Promise<string[]> {
  const { keys } = (await (await fetch(`${identity.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  return keys.map((key) => key.kid);
}

async function tokenFor(identity: TestIdentity, email: string, account: "register" | "login" = "register") {
  return signIn({ issuer: identity.issuer, email, password: PASSWORD, account });
}

/** How many times the signing-keys job has run to completion. */
async function keyChecks(identity: TestIdentity): Promise<number> {
  const metric = identity.service.metrics.registry.getSingleMetric("periodic_job_runs_total");
  const values = (await metric?.get())?.values ?? [];
  return values
    .filter((value) => value.labels["job"] === "signing-keys" && value.labels["outcome"] === "ok")
    .reduce((sum, value) => sum + value.value, 0);
}

function verifier(identity: TestIdentity) {
  const jwks = createRemoteJWKSet(new URL(`${identity.issuer}/jwks`));
  return (token: string) => jwtVerify(token, jwks, { issuer: identity.issuer, audience: "urn:tessera:api" });
}

describe("signing keys", () => {
  const running: TestIdentity[] = [];
  const start = async (...args: Parameters<typeof startTestIdentity>) => {
    const identity = await startTestIdentity(...args);
    running.push(identity);
    return identity;
  };

  afterEach(async () => {
    for (const identity of running.splice(0).reverse()) await identity.stop().catch(() => undefined);
  });

  it("keeps its key, sessions and refresh tokens across a restart", async () => {
    const first = await startTestIdentity();
    const kids = await publishedKids(first);
    const tokens = await tokenFor(first, "restarted@tessera.test");
    await first.stop({ keepDatabase: true });

    const second = await startTestIdentity({
      database: first.database,
      secrets: first.secrets,
      port: first.port,
    });
    try {
      expect(await publishedKids(second)).toEqual(kids);
      await expect(verifier(second)(tokens.access_token)).resolves.toBeDefined();
      const refreshed = await refreshTokens(await discover(second.issuer), tokens.refresh_token!);
      expect(decodeProtectedHeader(refreshed.access_token).kid).toBe(kids[0]);
    } finally {
      await second.stop({ keepDatabase: false });
    }
  });

  it("signs with the key rotate-keys.ts makes, and keeps the old one published", async () => {
    const identity = await start({ env: { IDENTITY_KEY_CHECK_INTERVAL_MS: "50" } });
    const [old] = await publishedKids(identity);
    const before = await tokenFor(identity, "before@tessera.test");

    const command = fileURLToPath(new URL("./rotate-keys.ts", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [command], {
      env: { ...process.env, DATABASE_URL: identity.database.url },
    });
    expect(stdout).toMatch(new RegExp(`^signing with [\\w-]+; still published: ${old}\\n$`));

    const kids = await waitFor("the new key to be published", async () => {
      const published = await publishedKids(identity);
      return published.length === 2 && published;
    });
    expect(kids[1]).toBe(old);
    const after = await tokenFor(identity, "after@tessera.test");
    expect(decodeProtectedHeader(after.access_token).kid).toBe(kids[0]);
    const verify = verifier(identity);
    await expect(verify(before.access_token)).resolves.toBeDefined();
    await expect(verify(after.access_token)).resolves.toBeDefined();
  });

  it("rotates by itself when the key is IDENTITY_KEY_ROTATION_DAYS old, and drops keys no token needs", async () => {
    let offsetMs = 0;
    const identity = await start({
      clock: () => new Date(Date.now() + offsetMs),
      env: { IDENTITY_KEY_CHECK_INTERVAL_MS: "50", IDENTITY_KEY_ROTATION_DAYS: "30" },
    });
    const [first] = await publishedKids(identity);

    offsetMs = 29 * DAY_MS;
    const runs = await keyChecks(identity);
    await waitFor("two more key checks", async () => (await keyChecks(identity)) >= runs + 2);
    expect(await publishedKids(identity)).toEqual([first]);

    offsetMs = 30 * DAY_MS + 60_000;
    const rotated = await waitFor("a rotation", async () => {
      const kids = await publishedKids(identity);
      return kids.length === 2 && kids;
    });
    expect(rotated[1]).toBe(first);

    // An hour and five minutes after the new key took over, no token signed by the old one is valid.
    offsetMs += 66 * 60_000;
    await waitFor("the old key to be dropped", async () => {
      const kids = await publishedKids(identity);
      return kids.length === 1 && kids[0] === rotated[0];
    });
  });
});
