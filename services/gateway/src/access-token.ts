import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";

/** Who a verified access token speaks for (the shape of the kit's `Principal`, coming with RPC auth). */
export interface Caller {
  /** `sub`: a user id (UUIDv7), or a service client's id for a client-credentials token. */
  subject: string;
  /** `roles`: `["customer"]`, `["customer", "admin"]`, `["service"]`, `["service", "admin"]`. */
  roles: readonly string[];
  /** `client_id`: the application that obtained the token. */
  clientId: string;
  /** The token as the caller sent it, for the services the request calls. */
  token: string;
}

/**
 * Why a token was refused: `scope`, a valid token not for the API, is a 403; `keys_unavailable` is
 * ours, a 503; the others are the caller's, a 401.
 */
export type AccessTokenErrorCode =
  | "malformed"
  | "algorithm"
  | "type"
  | "signature"
  | "unknown_key"
  | "expired"
  | "not_yet_valid"
  | "issuer"
  | "audience"
  | "claims"
  | "scope"
  | "keys_unavailable";

/**
 * A refused token. The message says what is wrong in words fit for `error_description` (RFC 6750:
 * printable ASCII without quotes or backslashes) and never quotes the token or its claims.
 */
export class AccessTokenError extends Error {
  readonly code: AccessTokenErrorCode;
  constructor(code: AccessTokenErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AccessTokenError";
    this.code = code;
  }
}

/** The algorithms the issuer signs with; anything else (`none`, HS256 with a public key) is refused. */
export const acceptedAlgorithms = ["ES256", "RS256"];

/** RFC 9068's `typ` of a JWT access token, as oidc-provider sets it: an ID token is not one. */
const accessTokenType = "at+jwt";

/** The scope a token must have been granted to call the API (identity's `api`). */
export const apiScope = "api";

export interface AccessTokenVerifierOptions {
  issuer: string;
  audience: string;
  /** The issuer's JWKS, fetched on first use, cached, and fetched again for an unknown `kid`. */
  jwksUrl: string;
  /** How long a JWKS fetch may take before the request gets a 503. */
  jwksTimeoutMs?: number;
}

/**
 * Verifies OAuth 2 access tokens (JWT, RFC 9068) of one issuer for one audience: the signature
 * against the issuer's published keys, the algorithm (ES256 or RS256), `typ` `at+jwt`, `iss`,
 * `aud`, `exp`/`nbf` with 5 s of clock tolerance, and the `api` scope. The keys are jose's remote JWKS: cached
 * for 10 minutes, refetched at once for an unknown `kid` but at most every 30 s.
 *
 * @example
 *   const verify = createAccessTokenVerifier({ issuer, audience, jwksUrl });
 *   const { subject, roles } = await verify(token); // or throws AccessTokenError
 */
export function createAccessTokenVerifier({
  issuer,
  audience,
  jwksUrl,
  jwksTimeoutMs = 2_000,
}: AccessTokenVerifierOptions): (token: string) => Promise<Caller> {
  const remote = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: jwksTimeoutMs });
  // An unknown kid is the token's fault; any other failure to produce a key is the key set's.
  const keys: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        throw error;
      }
      throw new AccessTokenError("keys_unavailable", "The issuer's signing keys could not be fetched.", {
        cause: error,
      });
    }
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms: acceptedAlgorithms,
        typ: accessTokenType,
        clockTolerance: 5,
        requiredClaims: ["sub", "exp", "iat", "client_id"],
      });
      return { ...claimsOf(payload), token };
    } catch (error) {
      throw refusalOf(error, { issuer, audience });
    }
  };
}

function claimsOf(payload: JWTPayload): Omit<Caller, "token"> {
  const { sub, client_id: clientId, roles = [], scope = "" } = payload;
  if (typeof sub !== "string" || sub === "" || sub.length > 255) {
    throw new AccessTokenError("claims", "The access token's sub claim is not a usable subject.");
  }
  if (typeof clientId !== "string") {
    throw new AccessTokenError("claims", "The access token's client_id claim must be a string.");
  }
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string")) {
    throw new AccessTokenError("claims", "The access token's roles claim must be an array of strings.");
  }
  if (typeof scope !== "string" || !scope.split(" ").includes(apiScope)) {
    throw new AccessTokenError("scope", `The access token was not granted the ${apiScope} scope.`);
  }
  return { subject: sub, roles, clientId };
}

/** What jose's error says about the token, in the caller's terms. */
function refusalOf(error: unknown, { issuer, audience }: { issuer: string; audience: string }): Error {
  if (error instanceof AccessTokenError) return error;
  const refuse = (code: AccessTokenErrorCode, message: string) =>
    new AccessTokenError(code, message, { cause: error });
  if (error instanceof errors.JWTExpired) return refuse("expired", "The access token has expired.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "nbf":
        return refuse("not_yet_valid", "The access token is not valid yet.");
      case "iss":
        return refuse("issuer", `The access token was not issued by ${issuer}.`);
      case "aud":
        return refuse("audience", `The access token is not meant for ${audience}.`);
      case "typ":
        return refuse("type", `The access token is not of type ${accessTokenType}.`);
      default:
        return refuse(
          "claims",
          error.reason === "missing"
            ? `The access token has no ${error.claim} claim.`
            : `The access token's ${error.claim} claim is not valid.`,
        );
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return refuse("algorithm", `The access token is not signed with ${acceptedAlgorithms.join(" or ")}.`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refuse("signature", "The access token's signature does not verify.");
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return refuse("unknown_key", "The access token is signed with a key the issuer does not publish.");
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return refuse("malformed", "The access token is not a well-formed signed JWT.");
  }
  return error instanceof Error ? error : new Error(String(error));
}
