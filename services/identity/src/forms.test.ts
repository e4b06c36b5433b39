import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  discover,
  openSignInPage,
  signIn,
  submitAccountForm,
  type Discovery,
  type SignInPage,
} from "./client/sign-in.ts";
import { startTestIdentity, type TestIdentity } from "./testing/test-service.ts";

const GOOD_PASSWORD = "a long enough password";

describe("the sign-in and registration pages", () => {
  let identity: TestIdentity;
  let discovery: Discovery;

  beforeAll(async () => {
    identity = await startTestIdentity();
    discovery = await discover(identity.issuer);
  });

  afterAll(() => identity?.stop());

  /** The status of posting `form` to a fresh sign-in page's `path`, and the error message shown. */
  async function post(
    path: "login" | "register",
    body: string,
    contentType = "application/x-www-form-urlencoded",
  ) {
    const page = await openSignInPage(discovery);
    const response = await fetch(`${page.url}/${path}`, {
      method: "POST",
      headers: { "content-type": contentType, cookie: page.browser.cookieHeader(new URL(page.url)) },
      body,
      redirect: "manual",
    });
    const text = await response.text();
    return { status: response.status, message: /role="alert"[^>]*>([^<]*)</.exec(text)?.[1], text };
  }

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

  it("show labelled forms with autocomplete hints that work without JavaScript", async () => {
    const page = await openSignInPage(discovery);
    const login = await (await page.browser.request(page.url)).text();
    expect(login).toContain('<label for="email">E-mail address</label>');
    expect(login).toMatch(/<input\s+id="email"\s+name="email"\s+type="email"\s+autocomplete="username"/);
    expect(login).toMatch(
      /<input\s+id="password"\s+name="password"\s+type="password"\s+autocomplete="current-password"/,
    );
    expect(login).toContain(`<form method="post" action="${new URL(page.url).pathname}/login">`);
    expect(login).not.toContain("<script");
    const register = await page.browser.request(`${page.url}/register`);
    expect(await register.text()).toMatch(/autocomplete="new-password"\s+required\s+minlength="12"/);
  });

  it("allow their one stylesheet by its hash, and nothing else", async () => {
    const page = await openSignInPage(discovery);
    const response = await page.browser.request(page.url);
    const style = /<style>([^<]*)<\/style>/.exec(await response.text())?.[1] ?? "";
    const hash = createHash("sha256").update(style).digest("base64");
    expect(response.headers.get("content-security-policy")).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  const refusals: [string, "login" | "register", Record<string, string>, string][] = [
    [
      "an empty e-mail address",
      "login",
      { email: "", password: GOOD_PASSWORD },
      "Enter your e-mail address.",
    ],
    ["no fields at all", "register", {}, "Enter your e-mail address."],
    ["an empty password", "login", { email: "a@tessera.test", password: "" }, "Enter your password."],
    [
      "a malformed e-mail address",
      "register",
      { email: "not-an-address", password: GOOD_PASSWORD },
      "Enter an e-mail address like name@example.com.",
    ],
    [
      "an address without a domain",
      "login",
      { email: "a@b", password: GOOD_PASSWORD },
      "Enter an e-mail address like name@example.com.",
    ],
    [
      "spaces in the address",
      "register",
      { email: "a b@tessera.test", password: GOOD_PASSWORD },
      "Enter an e-mail address like name@example.com.",
    ],
    [
      "an overlong e-mail address",
      "register",
      { email: `${"a".repeat(250)}@tessera.test`, password: GOOD_PASSWORD },
      "An e-mail address has at most 254 characters.",
    ],
    [
      "an overlong password",
      "login",
      { email: "a@tessera.test", password: "p".repeat(257) },
      "A password has at most 256 characters.",
    ],
    [
      "a NUL in the address",
      "login",
      { email: "a\u0000@tessera.test", password: GOOD_PASSWORD },
      "The e-mail address contains U+0000, a control character, which is not allowed.",
    ],
    [
      "a control character in the password",
      "register",
      { email: "c@tessera.test", password: `${GOOD_PASSWORD}\u0007` },
      "The password contains U+0007, a control character, which is not allowed.",
    ],
    [
      "a short password",
      "register",
      { email: "short@tessera.test", password: "too short" },
      "Choose a password of at least 12 characters.",
    ],
  ];

  it.each(refusals)("refuse %s with a message on the page (400)", async (_, path, fields, message) => {
    const result = await post(path, form(fields));
    expect(result.status).toBe(400);
    expect(result.message).toBe(message);
  });

  it("keep what was typed in the address field, but never the password", async () => {
    const result = await post("login", form({ email: "typed@tessera.test", password: "" }));
    expect(result.text).toContain('value="typed@tessera.test"');
    const refused = await post(
      "register",
      form({ email: "x\u0000@tessera.test", password: "secret typed here" }),
    );
    expect(refused.text).toContain('value=""');
    expect(refused.text).not.toContain("secret typed here");
  });

  it("refuse a second account for an address, in any case (409)", async () => {
    await signIn({
      issuer: identity.issuer,
      email: "taken@tessera.test",
      password: GOOD_PASSWORD,
      account: "register",
    });
    const result = await post("register", form({ email: "TAKEN@tessera.test", password: GOOD_PASSWORD }));
    expect(result.status).toBe(409);
    expect(result.message).toBe("An account with this e-mail address exists. Sign in instead.");
  });

  it("refuse bodies that are not forms, or too large", async () => {
    expect((await post("login", JSON.stringify({ email: "a@b.c" }), "application/json")).status).toBe(415);
    expect(
      (await post("login", form({ email: "a@tessera.test", password: "x".repeat(20_000) }))).status,
    ).toBe(413);
    const garbage = await post("login", "%%%=%ZZ&email=%E0%A4%A&password");
    expect(garbage.status).toBe(400);
  });

  it("refuse a form posted without the interaction's cookie, or from another site", async () => {
    const page = await openSignInPage(discovery);
    const fields = { email: "a@tessera.test", password: GOOD_PASSWORD };
    const withoutCookie = await fetch(`${page.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form(fields),
    });
    expect(withoutCookie.status).toBe(400);
    expect(await withoutCookie.text()).toContain("This sign-in has expired");

    const crossSite = await fetch(`${page.url}/login`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: page.browser.cookieHeader(new URL(page.url)),
        "sec-fetch-site": "cross-site",
      },
      body: form(fields),
    });
    expect(crossSite.status).toBe(403);
  });

  it("refuse another interaction's page with this interaction's cookie", async () => {
    const page = await openSignInPage(discovery);
    const other: SignInPage = { ...page, url: page.url.replace(/[\w-]+$/, "A".repeat(21)) };
    const response = await fetch(other.url, {
      headers: { cookie: page.browser.cookieHeader(new URL(page.url)) },
    });
    expect(response.status).toBe(400);
  });

  it("answer a wrong method with 405 and unknown pages with 404", async () => {
    const page = await openSignInPage(discovery);
    const put = await fetch(`${page.url}/login`, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("POST");
    expect((await fetch(`${identity.issuer}/nowhere`)).status).toBe(404);
  });

  it("answer an authorization request holding a NUL with an error, not a 500", async () => {
    const url = new URL(discovery.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: "tessera-web",
      response_type: "code",
      redirect_uri: new URL("/callback", identity.issuer).href,
      scope: "openid api",
      state: "bad\u0000state",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    }).toString();
    const response = await fetch(url, { redirect: "manual" });
    expect(response.status).toBeLessThan(500);
    const token = await fetch(discovery.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form({ grant_type: "refresh_token", refresh_token: "\u0000", client_id: "tessera-web" }),
    });
    expect(token.status).toBe(400);
  });

  it("sign in after an error on the same page", async () => {
    const page = await openSignInPage(discovery);
    const refused = await submitAccountForm(page, "register", {
      email: "later@tessera.test",
      password: "short",
    });
    expect(refused.status).toBe(400);
    const accepted = await submitAccountForm(page, "register", {
      email: "later@tessera.test",
      password: GOOD_PASSWORD,
    });
    expect(accepted.status).toBe(303);
  });
});
