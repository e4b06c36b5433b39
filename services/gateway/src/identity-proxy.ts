import type { IncomingHttpHeaders } from "node:http";
import proxy from "@fastify/http-proxy";
import type { FastifyInstance } from "fastify";
import { ServiceError } from "@tessera/kit";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Set on the routes proxied to another server, which makes its own headers: `"identity"`. */
    proxiedTo?: string;
  }
}

/** Where identity serves its OpenID provider, here and there alike: the issuer's path. */
export const identityPrefix = "/oidc";

const discoveryPath = "/.well-known/openid-configuration";

export interface IdentityProxyOptions {
  /** Identity's HTTP server, `host:port`. */
  address: string;
  /** How long identity may take to start answering, and between chunks. */
  timeoutMs: number;
}

/**
 * Serves identity's OpenID provider — sign-in pages, tokens, keys, discovery — at `/oidc/*` of the
 * gateway's public origin, the issuer's, by reverse proxy: path and query as sent, bodies (form
 * posts) streamed through as they are, cookies and `Authorization` both ways. Identity builds its
 * URLs from `X-Forwarded-Proto`/`-Host` and sees the client's address in `X-Forwarded-For`: the
 * gateway sets all three from what it knows (believing proxies in front of it only as far as
 * `GATEWAY_TRUST_PROXY` says), replacing whatever the client sent. `/.well-known/openid-configuration` at the root serves the
 * same discovery document as `/oidc/.well-known/openid-configuration`.
 *
 * The API's rules live in the API's own plugin context, a sibling of this one, so JSON body limits,
 * content-type rules, text checks, CORS and rate limits do not apply here; nor do the gateway's
 * security headers (`proxiedTo`): the provider makes its own pages' headers, answers its own CORS
 * and throttles sign-in itself (per e-mail address). None of it is in the OpenAPI document.
 */
export async function registerIdentityProxy(
  app: FastifyInstance,
  { address, timeoutMs }: IdentityProxyOptions,
): Promise<void> {
  const upstream = `http://${address}`;
  const replyOptions = {
    rewriteRequestHeaders: forwardedHeaders,
    // The app's error handler logs the cause and answers a 503 problem with Retry-After.
    onError: (reply: { send(error: Error): unknown }, { error }: { error: Error }) => {
      reply.send(new ServiceError("unavailable", "identity did not answer", { cause: error }));
    },
    // Never retried: a sign-in form or a token request must reach identity at most once.
    retryDelay: () => null,
  };
  const common = {
    upstream,
    config: { proxiedTo: "identity" },
    replyOptions,
    // reply-from would log each request's URL, which carries codes and interaction ids.
    disableRequestLogging: true,
    undici: { headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
  };
  await app.register(proxy, { ...common, prefix: identityPrefix, rewritePrefix: identityPrefix });
  await app.register(proxy, {
    ...common,
    prefix: discoveryPath,
    rewritePrefix: `${identityPrefix}${discoveryPath}`,
    httpMethods: ["GET", "HEAD"],
    routes: ["/"],
  });
}

function forwardedHeaders(
  request: { ip: string; protocol: string; host: string },
  headers: IncomingHttpHeaders,
): IncomingHttpHeaders {
  const { forwarded: _forwarded, "x-real-ip": _realIp, "x-forwarded-port": _port, ...rest } = headers;
  return {
    ...rest,
    "x-forwarded-for": request.ip,
    "x-forwarded-proto": request.protocol,
    "x-forwarded-host": request.host,
  };
}
