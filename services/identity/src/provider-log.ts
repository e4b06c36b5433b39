import type { Logger } from "@tessera/kit";
import type Provider from "oidc-provider";
import type { KoaContextWithOIDC } from "oidc-provider";

/** The endpoints' refusals: a client's mistake or a person's, worth a line but not an alarm. */
const REFUSAL_EVENTS = [
  "authorization.error",
  "grant.error",
  "end_session.error",
  "revocation.error",
  "discovery.error",
  "jwks.error",
  "pushed_authorization_request.error",
  "registration_create.error",
] as const;

interface OidcError {
  error?: string;
  error_description?: string;
}

/**
 * oidc-provider's events as log lines. Only what identifies the failure is logged — the route, the
 * OAuth error code and description, the client id — never the request: its parameters, headers and
 * cookies carry codes, tokens, verifiers and secrets.
 */
export function logProviderEvents(provider: Provider, log: Logger): void {
  // The typings list each event as its own overload; a loop over them needs the plain signature.
  const on = provider.on.bind(provider) as (event: string, listener: (...args: never[]) => void) => void;
  for (const event of REFUSAL_EVENTS) {
    on(event, (ctx: KoaContextWithOIDC, error: OidcError) => {
      log.info(
        {
          ...where(ctx),
          "oidc.error": error.error,
          "oidc.error_description": error.error_description,
        },
        "identity provider refused a request",
      );
    });
  }
  provider.on("server_error", (ctx: KoaContextWithOIDC, error: Error) => {
    log.error({ ...where(ctx), err: error }, "identity provider failed a request");
  });
  provider.on("grant.success", (ctx: KoaContextWithOIDC) => {
    log.debug({ ...where(ctx), "oidc.grant_type": grantType(ctx) }, "tokens issued");
  });
  provider.on("end_session.success", (ctx: KoaContextWithOIDC) => {
    log.debug(where(ctx), "signed out");
  });
  // Koa's own error event (anything that escaped the provider's handlers): replaces Koa's default,
  // which prints to stderr outside the structured log.
  on("error", (error: Error) => {
    log.error({ err: error }, "identity provider request failed");
  });
}

function where(ctx: KoaContextWithOIDC): Record<string, string | undefined> {
  try {
    return { "oidc.route": ctx.oidc?.route, "client.id": ctx.oidc?.client?.clientId };
  } catch {
    return {};
  }
}

function grantType(ctx: KoaContextWithOIDC): string | undefined {
  const value = (ctx.oidc?.params as { grant_type?: unknown } | undefined)?.grant_type;
  return typeof value === "string" ? value : undefined;
}
