import type { FastifyInstance } from "fastify";

type Schema = Record<string, unknown>;

/**
 * Makes every route registered on `app` after this refuse query parameters it does not declare: its
 * querystring schema (an empty one when it has none) gets `additionalProperties: false`, so
 * `?limit=5` on an operation that pages with `page_size` is a 400 naming `limit`, not silently
 * ignored. Routes opt out by declaring `additionalProperties` themselves.
 */
export function refuseUndeclaredQueryParameters(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const schema = (route.schema ?? {}) as Schema;
    const querystring = (schema["querystring"] ?? { type: "object", properties: {} }) as Schema;
    if ("additionalProperties" in querystring) return;
    route.schema = { ...schema, querystring: { ...querystring, additionalProperties: false } };
  });
}
