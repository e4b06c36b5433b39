import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discover, openSignInPage, signIn, submitAccountForm, type Discovery } from "./client/sign-in.ts";
import { startTestIdentity, type TestIdentity } from "./testing/test-service.ts";

const PASSWORD = "the right password";

describe("sign-in throttling", () => {
  let identity: TestIdentity;
  let discovery: Discovery;
  let offsetMs = 0;

  beforeAll(async () => {
    identity = await startTestIdentity({ clock: () => new Date(Date.now() + offsetMs) });
    discovery = await discover(identity.issuer);
  });

  afterAll(() => identity?.stop());

  /** Posts the sign-in form of a fresh authorization request: the status and the message shown. */
  async function attempt(email: string, password: string): Promise<{ status: number; message: string }> {
    const page = await openSignInPage(discovery);
    const response = await submitAccountForm(page, "login", { email, password });
    const text = await response.text();
    return { status: response.status, message: /role="alert"[^>]*>([^<]*)</.exec(text)?.[1] ?? "" };
  }

  it("refuses an e-mail address for 15 minutes after 5 failed sign-ins, the right password too", async () => {
    const email = "throttled@tessera.test";
    await signIn({ issuer: identity.issuer, email, password: PASSWORD, account: "register" });

    for (let failure = 1; failure <= 4; failure++) {
      expect(await attempt(email, "a wrong password")).toEqual({
        status: 401,
        message: "That e-mail address and password do not match an account.",
      });
    }
    const fifth = await attempt(email, "a wrong password");
    expect(fifth.status).toBe(429);
    expect(fifth.message).toBe(
      "Too many failed sign-ins for this e-mail address. Sign-ins for it are refused for 15 more minutes.",
    );
    // In any case of the address.
    expect((await attempt(email.toUpperCase(), PASSWORD)).status).toBe(429);

    offsetMs = 14 * 60_000;
    expect(await attempt(email, PASSWORD)).toEqual({
      status: 429,
      message:
        "Too many failed sign-ins for this e-mail address. Sign-ins for it are refused for 1 more minute.",
    });
    offsetMs = 15 * 60_000 + 1_000;
    await expect(
      signIn({ issuer: identity.issuer, email, password: PASSWORD, account: "login" }),
    ).resolves.toEqual(expect.objectContaining({ access_token: expect.any(String) }));
  });

  it("counts failures for addresses without an account the same way, and no other address", async () => {
    offsetMs = 0;
    for (let failure = 1; failure <= 4; failure++) {
      expect((await attempt("nobody@tessera.test", "whatever it is")).status).toBe(401);
    }
    expect((await attempt("nobody@tessera.test", "whatever it is")).status).toBe(429);
    expect((await attempt("somebody-else@tessera.test", "whatever it is")).status).toBe(401);
  });

  it("forgets failures older than 15 minutes and after a successful sign-in", async () => {
    offsetMs = 0;
    const email = "forgiven@tessera.test";
    await signIn({ issuer: identity.issuer, email, password: PASSWORD, account: "register" });
    for (let failure = 1; failure <= 4; failure++) await attempt(email, "a wrong password");
    offsetMs = 16 * 60_000;
    for (let failure = 1; failure <= 4; failure++) {
      expect((await attempt(email, "a wrong password")).status).toBe(401);
    }
    await signIn({ issuer: identity.issuer, email, password: PASSWORD, account: "login" });
    for (let failure = 1; failure <= 4; failure++) {
      expect((await attempt(email, "a wrong password")).status).toBe(401);
    }
  });

  it("says when to come back", async () => {
    offsetMs = 0;
    const email = "impatient@tessera.test";
    for (let failure = 1; failure <= 4; failure++) await attempt(email, "a wrong password");
    const page = await openSignInPage(discovery);
    const response = await submitAccountForm(page, "login", { email, password: "a wrong password" });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe(String(15 * 60));
  });
});
