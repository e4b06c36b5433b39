import * as oauth from "oauth4webapi";
import { ServiceError } from "../errors.ts";

/** Where a client gets the bearer token it sends: a service's own, a test's, an operator's. */
export interface TokenSource {
  /** A token to send now (cached while it is fresh). */
  token(): Promise<string>;
  /** Drops `token` when a callee refused it (revoked, keys rotated): the next `token()` fetches anew. */
  invalidate(token: string): void;
}

export interface ServiceTokenOptions {
  /** The token endpoint (AUTH_TOKEN_URL). */
  tokenUrl: string;
  /** The issuer the endpoint belongs to (AUTH_ISSUER). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How long before its expiry a token is replaced (30 s, or a tenth of its lifetime if that is shorter). */
  renewBeforeMs?: number;
  now?: () => number;
}

/**
 * The service's own access token, by the OAuth client-credentials grant (client_secret_basic):
 * fetched on first use, shared by every concurrent caller, reused until shortly before it expires.
 * A failure to get one is `unavailable` (the issuer is down), never a silent unauthenticated call.
 *
 * @example
 *   const own = createServiceToken({ tokenUrl, issuer, clientId: "svc-orders", clientSecret });
 *   metadata.set("authorization", `Bearer ${await own.token()}`);
 */
export function createServiceToken({
  tokenUrl,
  issuer,
  clientId,
  clientSecret,
  renewBeforeMs = 30_000,
  now = Date.now,
}: ServiceTokenOptions): TokenSource {
  const server: oauth.AuthorizationServer = { issuer, token_endpoint: tokenUrl };
  const client: oauth.Client = { client_id: clientId };
  const authentication = oauth.ClientSecretBasic(clientSecret);
  // Plain http is for loopback and private networks (dev, tests); production names an https URL.
  const insecure = new URL(tokenUrl).protocol === "http:";
  let cached: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    try {
      const response = await oauth.clientCredentialsGrantRequest(
        server,
        client,
        authentication,
        {},
        {
          [oauth.allowInsecureRequests]: insecure,
          signal: AbortSignal.timeout(5_000),
        },
      );
      const result = await oauth.processClientCredentialsResponse(server, client, response);
      const lifetimeMs = (result.expires_in ?? 300) * 1_000;
      cached = {
        token: result.access_token,
        renewAt: now() + lifetimeMs - Math.min(renewBeforeMs, lifetimeMs / 10),
      };
      return result.access_token;
    } catch (error) {
      throw new ServiceError("unavailable", `cannot get an access token for ${clientId} from ${tokenUrl}`, {
        cause: error,
      });
    }
  };

  return {
    token() {
      if (cached && now() < cached.renewAt) return Promise.resolve(cached.token);
      pending ??= fetchToken().finally(() => (pending = undefined));
      return pending;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}
