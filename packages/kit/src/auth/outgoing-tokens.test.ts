import { describe, expect, it } from "vitest";
import { rejection } from "../rpc/echo-server.fixture.ts";
import { testCallers } from "../test-issuer.ts";
import { issuer, probeClient, startProbe, useAuthProbes } from "./auth-probe.fixture.ts";
import { createServiceToken, type TokenSource } from "./service-token.ts";

// What a client sends: the caller's token on calls made while handling its request, the service's
// own client-credentials token otherwise.

useAuthProbes();

const ownToken = (clientId: string, now?: () => number) =>
  createServiceToken({
    tokenUrl: issuer.tokenUrl,
    issuer: issuer.issuer,
    clientId,
    clientSecret: issuer.env["AUTH_CLIENT_SECRET"]!,
    now,
  });

describe("tokens on outgoing calls", () => {
  it("carries the incoming caller's token on a call made while handling it", async () => {
    // The front's client has a token of its own: inside a call, the caller's wins.
    const front = await startProbe({ credentials: ownToken("svc-front") });
    const back = await startProbe();
    const token = await issuer.token(testCallers.customer("alice"));
    const { caller } = await probeClient(front.address, { token }).whoAmI({ forwardTo: back.address });
    expect(caller).toMatchObject({ subject: "alice", roles: ["customer"] });
    expect(issuer.tokensIssuedTo("svc-front")).toBe(0);
  });

  it("sends the service's own token outside a request, fetched once and reused", async () => {
    const { address } = await startProbe();
    const client = probeClient(address, { credentials: ownToken("svc-probe") });
    const answers = await Promise.all([client.whoAmI({}), client.serveService({}), client.whoAmI({})]);
    expect(answers.map((answer) => answer.caller?.subject)).toEqual(["svc-probe", "svc-probe", "svc-probe"]);
    expect((await client.actFor({ userId: "anyone" })).caller?.roles).toEqual(["service"]);
    expect(issuer.tokensIssuedTo("svc-probe")).toBe(1);
  });

  it("fetches the service's own token anew shortly before the cached one expires", async () => {
    let now = Date.now();
    const own = ownToken("svc-clock", () => now);
    const first = await own.token();
    // The test issuer's tokens live 300 s; one is renewed 30 s before it expires.
    now += 269_000;
    expect(await own.token()).toBe(first);
    now += 2_000;
    expect(await own.token()).not.toBe(first);
    expect(issuer.tokensIssuedTo("svc-clock")).toBe(2);
  });

  it("fetches a new token once when the callee refuses the cached one", async () => {
    const { address } = await startProbe();
    const fresh = await issuer.token(testCallers.service);
    const handed: string[] = [];
    const invalidated: string[] = [];
    const source: TokenSource = {
      token: () => {
        const token = handed.length === 0 ? "revoked.by.issuer" : fresh;
        handed.push(token);
        return Promise.resolve(token);
      },
      invalidate: (token) => void invalidated.push(token),
    };
    const { caller } = await probeClient(address, { credentials: source }).whoAmI({});
    expect(caller?.subject).toBe("svc-test");
    expect(invalidated).toEqual(["revoked.by.issuer"]);
    expect(handed).toHaveLength(2);
  });

  it("is unavailable, not unauthenticated, when the service cannot get its own token", async () => {
    const { address } = await startProbe();
    const unknown = probeClient(address, { credentials: ownToken("stranger") });
    const error = await rejection(unknown.whoAmI({}));
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain("cannot get an access token for stranger");
  });

  it("sends nothing from a client without a token or credentials outside a request", async () => {
    const { address } = await startProbe();
    expect((await rejection(probeClient(address).whoAmI({}))).code).toBe("unauthenticated");
  });
});
