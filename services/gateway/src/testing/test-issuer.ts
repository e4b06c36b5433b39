import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll } from "vitest";
import { newId } from "@tessera/kit";

/** How a test token differs from a good one. */
export interface SignOptions {
  /** Protected header fields to set or override (`kid`, `typ`). */
  header?: Record<string, unknown>;
  /** Sign with a key the issuer does not publish, a forger's, under its own `kid` unless `header` names one. */
  unpublishedKey?: boolean;
}

/**
 * A stand-in for identity's token side: ES256 keys made by jose, their JWKS served over real HTTP
 * on a free loopback port, and tokens signed as identity signs them (RFC 9068 claims, `typ`
 * `at+jwt`, 15 minutes). `env` points the gateway's config at it.
 */
export interface TestIssuer {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** `AUTH_ISSUER`, `AUTH_JWKS_URL` and `AUTH_AUDIENCE` for the gateway's config. */
  env: Record<string, string>;
  /** How many times the JWKS was requested. */
  readonly jwksFetches: number;
  /** A good access token with `claims` over the defaults; a claim set to `undefined` is left out. */
  sign(claims?: Record<string, unknown>, options?: SignOptions): Promise<string>;
  /** The `Authorization` header of `userId` with `roles` (`["customer"]` by default). */
  bearer(userId: string, roles?: string[]): Promise<{ authorization: string }>;
  /** Publishes a new key and signs with it from now on; the old one stays published. */
  rotate(): Promise<void>;
  /** Answers JWKS requests with `status` from now on (503: identity failing); undefined heals. */
  failJwks(status?: number): void;
  /** Stops serving the JWKS: from now on its port refuses connections. */
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const kid = newId();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

/** Starts a test issuer; `close()` it after. */
export async function startTestIssuer({ audience = "urn:tessera:api" } = {}): Promise<TestIssuer> {
  const published = [await newSigningKey()];
  const forger = await newSigningKey();
  let fetches = 0;
  let failure: number | undefined;
  const server = createServer((request, response) => {
    if (request.url !== "/oidc/jwks") return void response.writeHead(404).end();
    fetches += 1;
    if (failure !== undefined) return void response.writeHead(failure).end();
    response.writeHead(200, { "content-type": "application/jwk-set+json" });
    response.end(JSON.stringify({ keys: published.map((key) => key.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  // The issuer is the gateway's public origin; tests never call it, only compare it.
  const issuer = "http://gateway.test/oidc";
  const jwksUrl = `http://127.0.0.1:${port}/oidc/jwks`;

  const sign = async (claims: Record<string, unknown> = {}, options: SignOptions = {}) => {
    const key = options.unpublishedKey ? forger : published.at(-1)!;
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: issuer,
      aud: audience,
      sub: newId(),
      client_id: "tessera-web",
      scope: "openid api",
      roles: ["customer"],
      iat: now,
      exp: now + 900,
      jti: newId(),
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "at+jwt", ...options.header })
      .sign(key.privateKey);
  };

  return {
    issuer,
    audience,
    jwksUrl,
    env: { AUTH_ISSUER: issuer, AUTH_JWKS_URL: jwksUrl, AUTH_AUDIENCE: audience },
    get jwksFetches() {
      return fetches;
    },
    sign,
    bearer: async (userId, roles = ["customer"]) => ({
      authorization: `Bearer ${await sign({ sub: userId, roles })}`,
    }),
    rotate: async () => void published.push(await newSigningKey()),
    failJwks: (status) => void (failure = status),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * For a test file: a test issuer started before its tests and closed after them. Call it at the
 * top level of the file; use what it returns inside tests.
 */
export function useTestIssuer(): TestIssuer {
  let current: TestIssuer | undefined;
  beforeAll(async () => {
    current = await startTestIssuer();
  });
  afterAll(() => current?.close());
  const started = (): TestIssuer => {
    if (!current) throw new Error("the test issuer starts before the file's tests: use it inside a test");
    return current;
  };
  return new Proxy({} as TestIssuer, { get: (_target, key) => Reflect.get(started(), key) as unknown });
}
