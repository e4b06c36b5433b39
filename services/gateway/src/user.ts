import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "@tessera/kit";
import { AccessTokenError, type Caller } from "./access-token.ts";
import { problemOf, sendProblem } from "./problem.ts";
import { actFor } from "./request-context.ts";

/**
 * Who is calling: the subject of the OAuth 2 access token in `Authorization: Bearer <jwt>`, which
 * identity issues and `access-token.ts` verifies. Which routes need a caller, and which need the
 * admin role, is each route's `config: { access }` (route-access.ts); the hooks here enforce it.
 */
export type VerifyAccessToken = (token: string) => Promise<Caller>;

/** The protection space of every challenge (RFC 6750 §3). */
export const realm = "tessera";

/**
 * A `WWW-Authenticate` challenge: the bare one when no usable credentials came (RFC 6750 §3.1: no
 * error code), with `error` and `error_description` when a token was refused or falls short.
 */
export function bearerChallenge(error?: {
  code: "invalid_token" | "insufficient_scope";
  description: string;
}) {
  if (!error) return `Bearer realm="${realm}"`;
  return `Bearer realm="${realm}", error="${error.code}", error_description="${error.description}"`;
}

// RFC 6750 §2.1: the scheme, case-insensitively, then a b64token.
const bearerPattern = /^Bearer +([\w\-.~+/]+=*) *$/i;

const callers = new WeakMap<FastifyRequest, Caller>();

/**
 * An `onRequest` hook for the routes that act for a caller: it verifies the bearer token and
 * records the caller for `userOf`, or answers 401 with a challenge — before the body is read and
 * validated, so a stranger learns nothing about the request's shape. When the issuer's keys cannot
 * be fetched it answers 503, which is ours to fix, not the caller's. Responses are personal: never cached.
 */
export function authenticateCaller({ verify, log }: { verify: VerifyAccessToken; log: Logger }) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    reply.header("cache-control", "no-store");
    const { authorization } = request.headers;
    if (authorization === undefined) {
      return refuse(
        request,
        reply,
        "This needs a signed-in caller: send an access token as Authorization: Bearer <token>.",
      );
    }
    const token = bearerPattern.exec(authorization)?.[1];
    if (token === undefined) {
      const detail = /^Bearer(\s|$)/i.test(authorization)
        ? "The Authorization header's bearer token is empty or not a token."
        : "The Authorization header must use the Bearer scheme.";
      return refuse(request, reply, detail);
    }
    try {
      const caller = await verify(token);
      callers.set(request, caller);
      actFor(request, caller);
      return undefined;
    } catch (error) {
      if (!(error instanceof AccessTokenError)) throw error;
      if (error.code === "keys_unavailable") {
        log.warn({ err: error.cause }, "access tokens cannot be verified: the issuer's keys are unavailable");
        return sendProblem(request, reply, problemOf("unavailable", error.message));
      }
      log.debug({ "event.reason": error.code }, "access token refused");
      if (error.code === "scope") return forbid(request, reply, error.message);
      return refuse(request, reply, error.message, { code: "invalid_token", description: error.message });
    }
  };
}

function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  detail: string,
  error?: Parameters<typeof bearerChallenge>[0],
): FastifyReply {
  reply.header("www-authenticate", bearerChallenge(error));
  return sendProblem(request, reply, problemOf("unauthenticated", detail));
}

/** A 403: the token is good but does not reach this far (RFC 6750 §3.1 `insufficient_scope`). */
function forbid(request: FastifyRequest, reply: FastifyReply, description: string): FastifyReply {
  reply.header("www-authenticate", bearerChallenge({ code: "insufficient_scope", description }));
  return sendProblem(request, reply, problemOf("permission_denied", description));
}

/** An `onRequest` hook after `authenticateCaller`: answers 403 unless the caller has the admin role. */
export async function requireAdmin(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (callerOf(request).roles.includes("admin")) return undefined;
  return forbid(request, reply, "This needs the admin role.");
}

/** The caller `authenticateCaller` accepted for this request. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  // A route that reads the caller without declaring its access is a wiring bug, never a caller's fault.
  if (caller === undefined) throw new Error(`route ${request.routeOptions.url} has no caller hook`);
  return caller;
}

/** The user the request acts for: the token's subject. */
export function userOf(request: FastifyRequest): string {
  return callerOf(request).subject;
}
