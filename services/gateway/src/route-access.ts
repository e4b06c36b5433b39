import type { FastifyInstance, FastifySchema, onRequestAsyncHookHandler } from "fastify";
import { unauthenticated } from "./routes/shared-schemas.ts";
import { userSecurity } from "./user.ts";

/** Who may call a route: anyone, or a user the user hook accepts (`userOf` then names them). */
export type Access = "public" | "user";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Who may call the route; every route states it (see `requireDeclaredAccess`). */
    access?: Access;
  }
}

/**
 * Makes `config: { access }` the one place a route says who may call it: every route registered
 * on `app` after this must state it, or startup fails naming the route. A `"user"` route gets
 * `authenticate` as its first own `onRequest` hook (after the app's: request id, security headers),
 * so it runs before the body is read; `documentAccess` shows the same in the OpenAPI document.
 */
export function requireDeclaredAccess(
  app: FastifyInstance,
  { authenticate }: { authenticate: onRequestAsyncHookHandler },
): void {
  app.addHook("onRoute", (route) => {
    const access = route.config?.access;
    if (access !== "public" && access !== "user") {
      throw new Error(
        `${String(route.method)} ${route.url} does not say who may call it: add config: { access: "public" } or { access: "user" }`,
      );
    }
    if (access === "user") route.onRequest = [authenticate, ...[route.onRequest ?? []].flat()];
  });
}

/** An operation's schema as the OpenAPI document shows it: a user route names its scheme and 401. */
export function documentAccess(schema: FastifySchema, access: Access | undefined): FastifySchema {
  if (access !== "user") return schema;
  const response = { ...(schema.response as Record<string, unknown>), 401: unauthenticated };
  return { ...schema, security: userSecurity, response };
}
