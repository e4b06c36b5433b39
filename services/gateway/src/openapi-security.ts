/**
 * How the OpenAPI document describes sign-in: identity's OAuth 2 flows at the issuer — authorization
 * code with PKCE for people (the storefront), client credentials for services — and its OpenID
 * Connect discovery document. The operations that need a caller name both as alternatives.
 */
export function securitySchemes(issuer: string) {
  const tokenUrl = `${issuer}/token`;
  const scopes = { api: "Call the Tessera API as the token's subject." };
  return {
    oauth2: {
      type: "oauth2" as const,
      description: `Access tokens from the issuer ${issuer}: JWTs (ES256 or RS256, \`typ\` \`at+jwt\`) valid for 15 minutes, sent as \`Authorization: Bearer <token>\`. People sign in with the authorization code flow, which requires PKCE (S256); services use client credentials.`,
      flows: {
        authorizationCode: { authorizationUrl: `${issuer}/auth`, tokenUrl, refreshUrl: tokenUrl, scopes },
        clientCredentials: { tokenUrl, scopes },
      },
    },
    openIdConnect: {
      type: "openIdConnect" as const,
      description: "The issuer's discovery document.",
      openIdConnectUrl: `${issuer}/.well-known/openid-configuration`,
    },
  };
}

/** The security requirement of an operation that needs a caller: either scheme, scope `api`. */
export const signedInSecurity: Record<string, string[]>[] = [{ oauth2: ["api"] }, { openIdConnect: ["api"] }];
