import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import type { AnyService } from "./rpc/definition.ts";
import { createClient, type Client, type ClientOptions } from "./rpc/client.ts";

/** Who a test token speaks for. */
export interface TestCaller {
  sub: string;
  roles: readonly string[];
  clientId: string;
}

/** The callers tests act as: the roles the identity service gives each kind of client. */
export const testCallers = {
  /** A service client (`svc-…`): may act for any user, not administer. */
  service: { sub: "svc-test", clientId: "svc-test", roles: ["service"] },
  /** An operator's tool (the consistency checker, the bench): a service client with the admin role. */
  operator: { sub: "tessera-checker", clientId: "tessera-checker", roles: ["service", "admin"] },
  /** A signed-in shopper. */
  customer: (userId: string): TestCaller => ({ sub: userId, clientId: "tessera-web", roles: ["customer"] }),
  /** A signed-in administrator (still a user: acts only for themselves). */
  admin: (userId: string): TestCaller => ({
    sub: userId,
    clientId: "tessera-web",
    roles: ["customer", "admin"],
  }),
} as const satisfies Record<string, TestCaller | ((userId: string) => TestCaller)>;

/** A token's claims and header, for the tests of what a server refuses. */
export interface TestTokenOptions extends Partial<TestCaller> {
  /** Seconds until it expires (300); negative for an expired token. */
  expiresIn?: number;
  audience?: string;
  issuer?: string;
  typ?: string;
}

export interface TestIssuer {
  /** `http://127.0.0.1:<port>/oidc`. */
  issuer: string;
  jwksUrl: string;
  tokenUrl: string;
  audience: string;
  /** The AUTH_* variables of a service that trusts this issuer (its client id defaults to `svc-<name>`). */
  env: Record<string, string>;
  /** An access token as the identity service issues it, for `sub` with `roles` (a customer by default). */
  token(options?: TestTokenOptions): Promise<string>;
  /** Signs with a new key from now on, published beside the old one (a key rotation). */
  rotateKey(): Promise<void>;
  /** Times the JWKS was fetched. */
  readonly jwksFetches: number;
  /** Client-credentials tokens issued to `clientId`. */
  tokensIssuedTo(clientId: string): number;
  stop(): Promise<void>;
}

const audience = "urn:tessera:api";
const clientSecret = "test-client-secret";

/**
 * A stand-in for the identity service, on a free loopback port: ES256 keys made by jose, the JWKS
 * at `/oidc/jwks`, a client-credentials token endpoint at `/oidc/token` (client_secret_basic or
 * _post) for the known test clients — any `svc-<name>` (roles `service`) and `tessera-checker` /
 * `tessera-bench` (`service`, `admin`), all with the secret in `env` — and `token()` to mint a
 * user's or a service's token directly.
 *
 * @example
 *   const issuer = await startTestIssuer();
 *   const service = await createService({ name: "orders", config, env: { ...issuer.env } });
 *   const token = await issuer.token(testCallers.customer("alice"));
 */
export async function startTestIssuer(): Promise<TestIssuer> {
  return (await listenTestIssuer()).issuer;
}

async function listenTestIssuer(): Promise<{ issuer: TestIssuer; server: Server }> {
  const keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];
  const addKey = async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const kid = `test-${keys.length + 1}`;
    keys.push({ kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } });
  };
  await addKey();
  const issued = new Map<string, number>();
  let jwksFetches = 0;
  let issuer = "";

  const sign = async ({ sub, roles, clientId, expiresIn = 300, ...claims }: TestTokenOptions = {}) => {
    const key = keys.at(-1)!;
    const caller = testCallers.customer("test-user");
    return new SignJWT({ client_id: clientId ?? caller.clientId, roles: roles ?? caller.roles, scope: "" })
      .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: claims.typ ?? "at+jwt" })
      .setIssuer(claims.issuer ?? issuer)
      .setAudience(claims.audience ?? audience)
      .setSubject(sub ?? caller.sub)
      .setIssuedAt()
      .setJti(crypto.randomUUID())
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .sign(key.privateKey);
  };

  const server = createServer((request, response) => {
    if (request.method === "GET" && request.url === "/oidc/jwks") {
      jwksFetches++;
      return json(response, 200, { keys: keys.map((key) => key.jwk) });
    }
    if (request.method === "POST" && request.url === "/oidc/token") {
      return void clientCredentials(request).then(
        async (clientId) => {
          if (!clientId) return json(response, 401, { error: "invalid_client" });
          issued.set(clientId, (issued.get(clientId) ?? 0) + 1);
          const roles = clientId.startsWith("svc-") ? ["service"] : ["service", "admin"];
          const token = await sign({ sub: clientId, clientId, roles });
          json(response, 200, { access_token: token, token_type: "Bearer", expires_in: 300 });
        },
        () => json(response, 400, { error: "invalid_request" }),
      );
    }
    json(response, 404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}/oidc`;
  const started: TestIssuer = {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    tokenUrl: `${issuer}/token`,
    audience,
    env: {
      AUTH_ISSUER: issuer,
      AUTH_JWKS_URL: `${issuer}/jwks`,
      AUTH_TOKEN_URL: `${issuer}/token`,
      AUTH_AUDIENCE: audience,
      AUTH_CLIENT_SECRET: clientSecret,
    },
    token: sign,
    rotateKey: addKey,
    get jwksFetches() {
      return jwksFetches;
    },
    tokensIssuedTo: (clientId) => issued.get(clientId) ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return { issuer: started, server };
}

/** The client id of a valid client-credentials request, or undefined. */
async function clientCredentials(request: IncomingMessage): Promise<string | undefined> {
  let body = "";
  for await (const chunk of request) body += String(chunk);
  const form = new URLSearchParams(body);
  if (form.get("grant_type") !== "client_credentials") return undefined;
  let id = form.get("client_id");
  let secret = form.get("client_secret");
  const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? "")?.[1];
  if (basic) {
    const [user = "", password = ""] = Buffer.from(basic, "base64").toString().split(":");
    [id, secret] = [decodeURIComponent(user), decodeURIComponent(password)];
  }
  const known = id?.startsWith("svc-") || id === "tessera-checker" || id === "tessera-bench";
  return known && secret === clientSecret ? (id ?? undefined) : undefined;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  response.end(JSON.stringify(body));
}

let shared: Promise<TestIssuer> | undefined;

/**
 * The one test issuer of this test process, started on first use and left running until the
 * process ends (it keeps no process alive): what `startTestService` and `testClient` use.
 */
export function testIssuer(): Promise<TestIssuer> {
  shared ??= listenTestIssuer().then(({ issuer, server }) => {
    server.unref();
    return issuer;
  });
  return shared;
}

/**
 * A client of a service under test calling as `caller`, with a token of the shared test issuer.
 *
 * @example
 *   const cart = testClient(CartService, app.address, testCallers.customer("alice"));
 *   const inventory = testClient(InventoryService, app.address, testCallers.operator);
 */
export function testClient<S extends AnyService>(
  service: S,
  address: string,
  caller: TestCaller,
  options: Omit<ClientOptions, "token" | "credentials"> = {},
): Client<S> {
  let token: Promise<string> | undefined;
  return createClient(service, address, {
    ...options,
    credentials: {
      token: () => (token ??= testIssuer().then((issuer) => issuer.token(caller))),
      invalidate: () => (token = undefined),
    },
  });
}
