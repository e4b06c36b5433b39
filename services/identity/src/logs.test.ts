import { randomBytes } from "node:crypto";
import {
  createTestDatabase,
  freePort,
  startService,
  testIssuer,
  type ServiceProcess,
  type TestDatabase,
} from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Browser,
  clientCredentials,
  discover,
  exchangeCode,
  followToCode,
  openSignInPage,
  refreshTokens,
  signIn,
  submitAccountForm,
} from "./client/sign-in.ts";

const secret = () => randomBytes(24).toString("base64url");

describe("identity's logs", () => {
  let database: TestDatabase;
  let identity: ServiceProcess;
  let issuer: string;
  const adminPassword = secret();
  const clientSecret = secret();
  let auth: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase("identity_logs");
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}/oidc`;
    auth = (await testIssuer()).env;
    identity = await startService(new URL("./main.ts", import.meta.url), {
      ...auth,
      DATABASE_URL: database.url,
      LOG_LEVEL: "trace",
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      IDENTITY_HOST: "127.0.0.1",
      IDENTITY_PORT: String(port),
      IDENTITY_ISSUER: issuer,
      IDENTITY_ADMIN_PASSWORD: adminPassword,
      IDENTITY_SERVICE_CLIENTS: `svc-orders:${clientSecret}`,
    });
  });

  afterAll(async () => {
    await identity?.kill();
    await database?.drop();
  });

  it("hold no password, token, code, verifier, cookie or secret, even at trace level and on errors", async () => {
    // Identity's own client secret (its AUTH_* settings trust the test issuer) is one too.
    const secrets: string[] = [adminPassword, clientSecret, auth["AUTH_CLIENT_SECRET"]!];
    const keep = (...values: (string | undefined)[]) => {
      for (const value of values) if (value) secrets.push(value);
    };
    const discovery = await discover(issuer);
    const email = `logged-${randomBytes(4).toString("hex")}@tessera.test`;
    const password = secret();
    const wrongPassword = secret();
    keep(password, wrongPassword);

    const registered = await signIn({ issuer, email, password, account: "register" });
    keep(registered.access_token, registered.refresh_token, registered.id_token);

    const browser = new Browser();
    const page = await openSignInPage(discovery, {}, browser);
    keep(page.verifier, page.state);
    expect((await submitAccountForm(page, "login", { email, password: wrongPassword })).status).toBe(401);
    const code = await followToCode(page, await submitAccountForm(page, "login", { email, password }));
    keep(code);
    const wrongVerifier = randomBytes(32).toString("base64url");
    keep(wrongVerifier);
    await expect(
      exchangeCode(discovery, { code, verifier: wrongVerifier, redirectUri: page.redirectUri }),
    ).rejects.toThrow();

    const refreshed = await refreshTokens(discovery, registered.refresh_token!);
    keep(refreshed.access_token, refreshed.refresh_token);
    await expect(refreshTokens(discovery, registered.refresh_token!)).rejects.toThrow();

    const service = await clientCredentials(discovery, { clientId: "svc-orders", secret: clientSecret });
    keep(service.access_token);
    const wrongSecret = secret();
    keep(wrongSecret);
    await expect(
      clientCredentials(discovery, { clientId: "svc-orders", secret: wrongSecret }),
    ).rejects.toThrow();

    const admin = await signIn({
      issuer,
      email: "admin@tessera.local",
      password: adminPassword,
      account: "login",
    });
    keep(admin.access_token, admin.refresh_token, admin.id_token);

    const end = new URL(discovery.end_session_endpoint);
    end.searchParams.set("id_token_hint", registered.id_token!);
    const confirmation = await (await browser.request(end)).text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirmation)?.[1];
    keep(xsrf);
    keep(...browser.cookieValues());

    const nul = await openSignInPage(discovery);
    keep(...nul.browser.cookieValues());
    await submitAccountForm(nul, "register", { email: `x\u0000${email}`, password });

    await identity.kill("SIGTERM");
    const output = identity.output();
    expect(output).toContain("identity provider refused a request");
    expect(output).toContain("tokens issued");
    expect(output).toContain('"oidc.error_description":"grant request is invalid"');
    expect(output).toContain('"identity.refusal":"bad-credentials"');
    const leaked = secrets.filter((value) => output.includes(value));
    expect(leaked).toEqual([]);
    // Interaction ids double as cookie values, so no path holding one is logged either.
    expect(output).not.toMatch(/\/interaction\/[\w-]{10,}/);
  });
});
