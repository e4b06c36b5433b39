import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import { ServiceError } from "../errors.ts";
import type { Principal } from "./principal.ts";

export interface TokenVerifierOptions {
  /** The `iss` every token must carry (AUTH_ISSUER). */
  issuer: string;
  /** The `aud` every token must carry (AUTH_AUDIENCE). */
  audience: string;
  /** Where the issuer publishes its signing keys (AUTH_JWKS_URL). */
  jwksUrl: string;
  /** The shortest time between two fetches of the keys for a token of an unknown `kid` (30 s). */
  refetchCooldownMs?: number;
}

/** Turns a bearer token into the principal it speaks for, or throws `unauthenticated`. */
export type TokenVerifier = (token: string) => Promise<Principal>;

// Pinned: a token names its own algorithm, so an unpinned verifier would take `none` or HS256 keyed
// with a public key.
const algorithms = ["ES256", "RS256"];
const clockToleranceSeconds = 5;

/**
 * Verifies RFC 9068 access tokens (`typ` at+jwt) against the issuer's published keys: signature
 * (ES256 or RS256, by `kid`), issuer, audience, `exp`/`nbf` with 5 s of clock tolerance. The keys
 * are fetched once and cached; a token signed by a key not yet seen fetches them again (at most
 * once per cooldown), so the issuer can rotate keys without restarting anyone.
 *
 * @example
 *   const verify = createTokenVerifier({ issuer, audience: "urn:tessera:api", jwksUrl });
 *   const principal = await verify(token); // { subject, roles, clientId, token }
 */
export function createTokenVerifier({
  issuer,
  audience,
  jwksUrl,
  refetchCooldownMs = 30_000,
}: TokenVerifierOptions): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: refetchCooldownMs,
    timeoutDuration: 5_000,
  });
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms,
        issuer,
        audience,
        typ: "at+jwt",
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ["sub", "exp", "iat", "client_id"],
      }));
    } catch (error) {
      throw refusal(error);
    }
    return principalOf(payload, token);
  };
}

function principalOf(payload: JWTPayload, token: string): Principal {
  const { sub, client_id: clientId, roles = [] } = payload;
  if (typeof clientId !== "string") throw invalid("its client_id claim is not a string");
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string"))
    throw invalid("its roles claim is not a list of strings");
  return { subject: sub ?? "", roles, clientId, token };
}

const invalid = (why: string, cause?: unknown) =>
  new ServiceError("unauthenticated", `the access token is not accepted: ${why}`, {
    cause,
    reason: "invalid-token",
  });

/** Why a token failed, in words that never repeat the token. */
function refusal(error: unknown): ServiceError {
  if (error instanceof errors.JWTExpired) return invalid("it has expired", error);
  if (error instanceof errors.JWTClaimValidationFailed)
    return invalid(`its ${error.claim} claim is not the expected one`, error);
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return invalid("its signature does not verify", error);
  if (error instanceof errors.JWKSNoMatchingKey)
    return invalid("it is signed by a key the issuer does not publish", error);
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return invalid("its algorithm is not accepted (ES256 or RS256)", error);
  if (error instanceof errors.JWKSTimeout || isKeysFetchFailure(error))
    return new ServiceError("unavailable", "the token issuer's keys cannot be fetched; retry later", {
      cause: error,
    });
  return invalid("it is not a valid signed JWT", error);
}

// Our side, not the caller's: fetch fails with TypeError("fetch failed") (refused, DNS), and jose
// reports an answer other than a JWKS as a bare JOSEError.
const isKeysFetchFailure = (error: unknown) =>
  (error instanceof TypeError && error.message === "fetch failed") ||
  (error instanceof errors.JOSEError && /JSON Web Key Set HTTP response/.test(error.message));
