import type { FastifyInstance, FastifySchema, onRequestAsyncHookHandler } from "fastify";
import { signedInSecurity } from "./openapi-security.ts";
import { forbidden, unauthenticated } from "./routes/shared-schemas.ts";

/**
 * Who may call a route: anyone; a signed-in caller (a user, or a service with its own token),
 * whom `userOf` then names; or a caller whose token has the `admin` role.
 */
export type Access = "public" | "user" | "admin";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Who may call the route; every route states it (see `requireDeclaredAccess`). */
    access?: Access;
  }
}

export interface AccessHooks {
  /** Verifies the caller's token and records them, or answers 401 (503 when keys are unavailable). */
  authenticate: onRequestAsyncHookHandler;
  /** Answers 403 unless the recorded caller is an admin. */
  requireAdmin: onRequestAsyncHookHandler;
  /** Run next on every route with a caller: the per-caller rate limit. */
  signedIn?: readonly onRequestAsyncHookHandler[];
}

const accessLevels: readonly unknown[] = ["public", "user", "admin"] satisfies Access[];

/**
 * Makes `config: { access }` the one place a route says who may call it: every route registered
 * on `app` after this must state it, or startup fails naming the route. A `"user"` or `"admin"`
 * route gets `authenticate` (then `requireAdmin`, then `signedIn`) as its first own `onRequest`
 * hooks, after the app's (request id, security headers, per-IP rate limit), so they run before the
 * body is read; `documentAccess` shows the same in the OpenAPI document.
 */
export function requireDeclaredAccess(
  app: FastifyInstance,
  { authenticate, requireAdmin, signedIn = [] }: AccessHooks,
): void {
  app.addHook("onRoute", (route) => {
    const access = route.config?.access;
    if (!accessLevels.includes(access)) {
      throw new Error(
        `${String(route.method)} ${route.url} does not say who may call it: add config: { access: "public" }, { access: "user" } or { access: "admin" }`,
      );
    }
    if (access === "public") return;
    const guards = access === "admin" ? [authenticate, requireAdmin] : [authenticate];
    route.onRequest = [...guards, ...signedIn, ...[route.onRequest ?? []].flat()];
  });
}

/** An operation's schema as the OpenAPI document shows it: one with a caller names its schemes, 401 and 403. */
export function documentAccess(schema: FastifySchema, access: Access | undefined): FastifySchema {
  if (access !== "user" && access !== "admin") return schema;
  const response = {
    ...(schema.response as Record<string, unknown>),
    401: unauthenticated,
    403: access === "admin" ? forbidden.admin : forbidden.user,
  };
  return { ...schema, security: signedInSecurity, response };
}
