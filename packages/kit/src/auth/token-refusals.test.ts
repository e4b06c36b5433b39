import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { rejection } from "../rpc/echo-server.fixture.ts";
import { testCallers } from "../test-issuer.ts";
import { echoClient, issuer, probeClient, startProbe, useAuthProbes } from "./auth-probe.fixture.ts";

// Every way a call can fail to prove who makes it, over real gRPC: each is UNAUTHENTICATED, says
// why, and never repeats the token.

useAuthProbes();

const alice = testCallers.customer("alice");

async function refused(token: string | undefined) {
  const { address } = await startProbe();
  const error = await rejection(probeClient(address, { token }).whoAmI({}));
  expect(error.code).toBe("unauthenticated");
  if (token) expect(error.message).not.toContain(token);
  return error;
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("an RPC server with authentication", () => {
  it("accepts a valid token and hands its caller to the handler", async () => {
    const { address } = await startProbe();
    const { caller } = await probeClient(address, { token: await issuer.token(alice) }).whoAmI({});
    expect(caller).toMatchObject({ subject: "alice", roles: ["customer"], clientId: "tessera-web" });
  });

  it("refuses a call without a token", async () => {
    const error = await refused(undefined);
    expect(error.message).toContain("needs an access token");
  });

  it("refuses an authorization that is not a bearer token", async () => {
    const { address } = await startProbe();
    const client = probeClient(address);
    const error = await rejection(client.whoAmI({}, { token: "two words" }));
    expect(error.code).toBe("unauthenticated");
  });

  it("refuses an expired token", async () => {
    const error = await refused(await issuer.token({ ...alice, expiresIn: -60 }));
    expect(error.message).toContain("expired");
  });

  it("accepts a token expired less than the 5 s clock tolerance ago", async () => {
    const { address } = await startProbe();
    const token = await issuer.token({ ...alice, expiresIn: -2 });
    expect((await probeClient(address, { token }).whoAmI({})).caller?.subject).toBe("alice");
  });

  it("refuses a token signed by a key the issuer does not hold (forged)", async () => {
    // Same header as the issuer's, so the verifier finds its key and the signature is what fails.
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT({ client_id: "tessera-web", roles: ["customer", "admin"] })
      .setProtectedHeader({ alg: "ES256", kid: "test-1", typ: "at+jwt" })
      .setIssuer(issuer.issuer)
      .setAudience(issuer.audience)
      .setSubject("mallory")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    const error = await refused(forged);
    expect(error.message).toContain("signature");
  });

  it("refuses an unsigned token (alg none)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer.issuer,
      aud: issuer.audience,
      sub: "mallory",
      client_id: "x",
      iat: now,
      exp: now + 300,
    };
    const unsigned = `${base64url({ alg: "none", typ: "at+jwt" })}.${base64url(claims)}.`;
    const error = await refused(unsigned);
    expect(error.message).toContain("not accepted");
  });

  it("refuses a token for another audience", async () => {
    const error = await refused(await issuer.token({ ...alice, audience: "urn:elsewhere" }));
    expect(error.message).toContain("aud");
  });

  it("refuses a token of another issuer", async () => {
    const error = await refused(await issuer.token({ ...alice, issuer: "http://127.0.0.1:1/oidc" }));
    expect(error.message).toContain("iss");
  });

  it("refuses a JWT that is not an access token (typ)", async () => {
    const error = await refused(await issuer.token({ ...alice, typ: "JWT" }));
    expect(error.message).toContain("typ");
  });

  it("refuses garbage", async () => {
    await refused("not.a.jwt");
  });

  it("fetches the keys again for a token signed by a key it has not seen (a rotation)", async () => {
    const { address } = await startProbe({ refetchCooldownMs: 0 });
    await probeClient(address, { token: await issuer.token(alice) }).whoAmI({});
    const fetched = issuer.jwksFetches;
    await issuer.rotateKey();
    const rotated = await issuer.token(alice);
    expect((await probeClient(address, { token: rotated }).whoAmI({})).caller?.subject).toBe("alice");
    expect(issuer.jwksFetches).toBe(fetched + 1);
  });

  it("refuses a server stream without a token", async () => {
    const { address } = await startProbe();
    const stream = echoClient(address).echoStream({ message: "x", count: 2 });
    const error = await rejection(collect(stream));
    expect(error.code).toBe("unauthenticated");
  });

  it("streams to a caller with a valid token", async () => {
    const { address } = await startProbe();
    const stream = echoClient(address, { token: await issuer.token(alice) }).echoStream({
      message: "x",
      count: 2,
    });
    expect((await collect(stream)).map((item) => item.index)).toEqual([0, 1]);
  });
});
