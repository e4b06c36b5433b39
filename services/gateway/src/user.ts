import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayConfig } from "./config.ts";
import { problemOf, sendProblem } from "./problem.ts";

/**
 * Who is calling. Until the identity service lands, the user is whatever a development header
 * says — accepted only in embedded mode, the single-laptop setup `npm start` runs. This module is
 * the one place sign-in replaces: swap the hook for JWT verification, keep `userOf`. Which routes
 * the hook guards is each route's `config: { access: "user" }` (route-access.ts).
 */
export const userHeader = "X-Tessera-User";

// Word characters, dot, colon, at and hyphen: e-mail-like ids and UUIDs, nothing that breaks a log line.
const userPattern = /^[\w.:@-]{1,128}$/;

/** The `WWW-Authenticate` challenge of every 401: the scheme named after the header it asks for. */
export const userChallenge = `${userHeader} realm="tessera"`;

/** The OpenAPI security scheme of the routes that need a user (route-access.ts names it on them). */
export const userSecurityScheme = {
  type: "apiKey",
  in: "header",
  name: userHeader,
  description:
    "A development stand-in for sign-in, which arrives with the identity service: the user id, 1 to 128 characters of letters, digits and `_ . : @ -`. Accepted only when the gateway runs in embedded mode (`TESSERA_MODE=embedded`, as `npm start` does); elsewhere every request that needs a user gets a 401.",
} as const;

export const userSecurity = [{ developmentUser: [] }];

const users = new WeakMap<FastifyRequest, string>();

/**
 * An `onRequest` hook for the routes that act for a user: it records the user for `userOf`, or
 * answers 401 with a challenge. It runs before the body is read and validated, so a caller
 * without a user learns nothing about the request's shape. Responses are personal: never cached.
 */
export function authenticateUser({ mode }: { mode: GatewayConfig["TESSERA_MODE"] }) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const header = request.headers[userHeader.toLowerCase()];
    const detail = refusal(mode, header);
    reply.header("cache-control", "no-store");
    if (detail !== undefined) {
      reply.header("www-authenticate", userChallenge);
      return sendProblem(request, reply, problemOf("unauthenticated", detail));
    }
    users.set(request, header as string);
    return undefined;
  };
}

/** Why `header` does not name a user in `mode`, or undefined when it does. */
function refusal(
  mode: GatewayConfig["TESSERA_MODE"],
  header: string | string[] | undefined,
): string | undefined {
  const signIn = "sign-in arrives with the identity service";
  if (mode !== "embedded") {
    return `This needs a signed-in user, and ${signIn}. Until then only embedded mode accepts a development user in the ${userHeader} header.`;
  }
  if (header === undefined) {
    return `This needs a user: send their id in the ${userHeader} header (a development stand-in; ${signIn}).`;
  }
  if (typeof header !== "string" || !userPattern.test(header)) {
    return `${userHeader} must be one user id of 1 to 128 letters, digits and _ . : @ - (a development stand-in; ${signIn}).`;
  }
  return undefined;
}

/** The user `authenticateUser` accepted for this request. */
export function userOf(request: FastifyRequest): string {
  const user = users.get(request);
  // A route that reads the user without declaring access "user" is a wiring bug, never a caller's fault.
  if (user === undefined) throw new Error(`route ${request.routeOptions.url} has no user hook`);
  return user;
}
