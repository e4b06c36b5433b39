/** How long what identity issues lives, in seconds (oidc-provider's unit). */
export const ACCESS_TOKEN_TTL_S = 15 * 60;
export const ID_TOKEN_TTL_S = 60 * 60;
export const AUTHORIZATION_CODE_TTL_S = 60;
export const INTERACTION_TTL_S = 30 * 60;
export const SESSION_TTL_S = 14 * 24 * 60 * 60;

/** Clocks of verifiers may run this far behind ours. */
const CLOCK_SKEW_S = 5 * 60;

/**
 * How long a signing key stays in the JWKS after a newer key replaced it: until every token it
 * signed (access and ID tokens; refresh tokens are not signed) has expired everywhere.
 */
export const KEY_RETENTION_MS = (Math.max(ACCESS_TOKEN_TTL_S, ID_TOKEN_TTL_S) + CLOCK_SKEW_S) * 1000;
