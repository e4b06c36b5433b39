import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * HTTP caching of public catalog data (RFC 9111): a strong `ETag` hashing the representation, a
 * short shared `Cache-Control`, and 304 for a matching `If-None-Match`, so a browser or CDN
 * revalidates in one round trip without the body. Signed-in routes never go through here: they
 * stay `no-store` (user.ts).
 */

/** Seconds a cache may serve a catalog answer without asking again: prices change rarely, not never. */
export const publicMaxAgeSeconds = 60;

const cacheControl = `public, max-age=${publicMaxAgeSeconds}, stale-while-revalidate=${publicMaxAgeSeconds}`;

/** The strong entity tag of a JSON body: a hash of its serialization. */
export function etagOf(body: unknown): string {
  return `"${createHash("sha256").update(JSON.stringify(body)).digest("base64url").slice(0, 27)}"`;
}

/** Whether `If-None-Match` (`*` or a list of tags, weak comparison) matches `etag`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/**
 * Sends `body` as a cacheable public answer: with its `ETag` and `Cache-Control`, or as a bodiless
 * 304 when the client already holds this representation. Returns the reply (already sent) for a
 * 304, else `body` for the route to return.
 */
export function sendCacheable<T>(request: FastifyRequest, reply: FastifyReply, body: T): T | FastifyReply {
  const etag = etagOf(body);
  reply.header("etag", etag).header("cache-control", cacheControl);
  if (matches(request.headers["if-none-match"], etag)) return reply.code(304).send();
  return body;
}

/** The headers a cacheable answer documents in the OpenAPI document. */
export const cacheableHeaders = {
  ETag: {
    type: "string",
    description: "A strong entity tag of this representation; send it as `If-None-Match`.",
  },
  "Cache-Control": {
    type: "string",
    description: `Public catalog data: \`${cacheControl}\`.`,
  },
} as const;

/** The 304 of a cacheable operation. */
export const notModified = {
  description: "`If-None-Match` matches: the cached representation is current. No body.",
  headers: cacheableHeaders,
  type: "null",
} as const;
