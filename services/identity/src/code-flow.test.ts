import { randomBytes } from "node:crypto";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Browser,
  exchangeCode,
  followToCode,
  openSignInPage,
  refreshTokens,
  SignInError,
  signIn,
  submitAccountForm,
  type Discovery,
} from "./client/sign-in.ts";
import {
  startDiscoveredIdentity,
  TEST_ADMIN_EMAIL,
  type DiscoveredIdentity,
  type TestIdentity,
} from "./testing/test-service.ts";

const newEmail = () => `shopper-${randomBytes(4).toString("hex")}@tessera.test`;
const PASSWORD = "a long enough password";
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("authorization code + PKCE for tessera-web", () => {
  let identity: TestIdentity;
  let discovery: Discovery;
  let verify: DiscoveredIdentity["verify"];

  beforeAll(async () => {
    ({ identity, discovery, verify } = await startDiscoveredIdentity());
  });

  afterAll(() => identity?.stop());

  it("registers a new user and gives them a JWT access token with the claim contract", async () => {
    const email = newEmail();
    const tokens = await signIn({ issuer: identity.issuer, email, password: PASSWORD, account: "register" });
    const user = await identity.accounts.authenticate(email, PASSWORD);

    const { payload, protectedHeader } = await verify(tokens.access_token);
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "at+jwt", kid: expect.any(String) });
    expect(payload).toEqual({
      iss: identity.issuer,
      aud: "urn:tessera:api",
      sub: user.id,
      client_id: "tessera-web",
      scope: "api",
      roles: ["customer"],
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
    });
    expect(user.id).toMatch(UUID_V7);
    expect(payload.exp! - payload.iat!).toBe(15 * 60);
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "api" });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.id_token).toEqual(expect.any(String));
  });

  it("signs in an existing user, whatever the case of the e-mail address typed", async () => {
    const email = newEmail();
    await signIn({ issuer: identity.issuer, email, password: PASSWORD, account: "register" });
    const tokens = await signIn({
      issuer: identity.issuer,
      email: email.toUpperCase(),
      password: PASSWORD,
      account: "login",
    });
    const { payload } = await verify(tokens.access_token);
    expect(payload.sub).toBe((await identity.accounts.authenticate(email, PASSWORD)).id);
  });

  it("seeds the administrator from the configuration, with the admin role", async () => {
    const tokens = await signIn({
      issuer: identity.issuer,
      email: TEST_ADMIN_EMAIL,
      password: identity.secrets.adminPassword,
      account: "login",
    });
    const { payload } = await verify(tokens.access_token);
    expect(payload["roles"]).toEqual(["customer", "admin"]);
  });

  it("refuses the code with a verifier that does not match the challenge", async () => {
    const page = await openSignInPage(discovery);
    const response = await submitAccountForm(page, "register", { email: newEmail(), password: PASSWORD });
    const code = await followToCode(page, response);
    const wrong = exchangeCode(discovery, {
      code,
      verifier: randomBytes(32).toString("base64url"),
      redirectUri: page.redirectUri,
    });
    await expect(wrong).rejects.toMatchObject({ status: 400, code: "invalid_grant" });
  });

  it("refuses an authorization request without PKCE, or with the plain method", async () => {
    const refusal = async (pkce: Record<string, string>) => {
      const url = new URL(discovery.authorization_endpoint);
      url.search = new URLSearchParams({
        client_id: "tessera-web",
        response_type: "code",
        redirect_uri: new URL("/callback", identity.issuer).href,
        scope: "openid api",
        state: "s",
        ...pkce,
      }).toString();
      const response = await fetch(url, { redirect: "manual" });
      return new URL(response.headers.get("location") ?? "", url).searchParams;
    };
    const missing = await refusal({});
    expect(missing.get("error")).toBe("invalid_request");
    expect(missing.get("error_description")).toMatch(/PKCE/);
    const plain = await refusal({ code_challenge: "a".repeat(43), code_challenge_method: "plain" });
    expect(plain.get("error")).toBe("invalid_request");
  });

  it("rotates the refresh token on every use and refuses the one it replaced", async () => {
    const tokens = await signIn({
      issuer: identity.issuer,
      email: newEmail(),
      password: PASSWORD,
      account: "register",
    });
    const refreshed = await refreshTokens(discovery, tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const { payload } = await verify(refreshed.access_token);
    expect(payload["roles"]).toEqual(["customer"]);

    await expect(refreshTokens(discovery, tokens.refresh_token!)).rejects.toMatchObject({
      status: 400,
      code: "invalid_grant",
    });
    // Reusing a replaced token is taken as theft: the whole grant is revoked, its successor too.
    await expect(refreshTokens(discovery, refreshed.refresh_token!)).rejects.toBeInstanceOf(SignInError);
  });

  it("signs out at end_session, after which the browser must sign in again and the refresh token is dead", async () => {
    const browser = new Browser();
    const first = await openSignInPage(discovery, {}, browser);
    const code = await followToCode(
      first,
      await submitAccountForm(first, "register", { email: newEmail(), password: PASSWORD }),
    );
    const tokens = await exchangeCode(discovery, {
      code,
      verifier: first.verifier,
      redirectUri: first.redirectUri,
    });

    // Still signed in: a second authorization goes straight back with a code.
    await expect(authorizeSilently(browser)).resolves.toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);

    const end = new URL(discovery.end_session_endpoint);
    end.search = new URLSearchParams({
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: new URL("/", identity.issuer).href,
    }).toString();
    const confirmation = await browser.request(end);
    expect(confirmation.status).toBe(200);
    const page = await confirmation.text();
    expect(page).toContain("Sign out of Tessera?");
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)">/.exec(page)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
    const signedOut = await browser.request(action!, { form: { xsrf: xsrf!, logout: "yes" } });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get("location")).toBe(new URL("/", identity.issuer).href);

    await expect(authorizeSilently(browser)).resolves.toMatch(/\/oidc\/interaction\/[\w-]+$/);
    await expect(refreshTokens(discovery, tokens.refresh_token!)).rejects.toMatchObject({
      code: "invalid_grant",
    });
  });

  /** An authorization request in `browser`; where it sends the browser after the resume step. */
  async function authorizeSilently(browser: Browser): Promise<string> {
    const page = new URL(discovery.authorization_endpoint);
    page.search = new URLSearchParams({
      client_id: "tessera-web",
      response_type: "code",
      redirect_uri: new URL("/callback", identity.issuer).href,
      scope: "openid api",
      state: "s",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    }).toString();
    const response = await browser.request(page);
    return new URL(response.headers.get("location") ?? "", page).href;
  }

  it("keeps no signing secret in the token's header", async () => {
    const tokens = await signIn({
      issuer: identity.issuer,
      email: newEmail(),
      password: PASSWORD,
      account: "register",
    });
    expect(Object.keys(decodeProtectedHeader(tokens.access_token)).sort()).toEqual(["alg", "kid", "typ"]);
  });
});
