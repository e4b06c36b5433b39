import type { AuthSettings } from "../service-config.ts";
import { createServiceToken, type TokenSource } from "./service-token.ts";
import { createTokenVerifier, type TokenVerifier } from "./token-verifier.ts";

/** The verifier of incoming tokens and the service's own token (client credentials). */
export function serviceAuth(
  name: string,
  auth: AuthSettings,
): { authenticate: TokenVerifier; ownToken: TokenSource } {
  const { AUTH_ISSUER: issuer, AUTH_CLIENT_SECRET: clientSecret } = auth;
  return {
    authenticate: createTokenVerifier({ issuer, audience: auth.AUTH_AUDIENCE, jwksUrl: auth.AUTH_JWKS_URL }),
    ownToken: createServiceToken({
      tokenUrl: auth.AUTH_TOKEN_URL,
      issuer,
      clientId: auth.AUTH_CLIENT_ID ?? `svc-${name}`,
      clientSecret,
    }),
  };
}
