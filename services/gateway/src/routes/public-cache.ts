import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { CachedAnswer, ProductCache } from "../product-cache.ts";

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

/**
 * The answer of a public catalog read from the gateway's cache (product-cache.ts) when it holds
 * one, else from `load`, then kept: serialized once by the route's schema, with its ETag and
 * `Link`, so a hit costs neither an RPC nor a serialization nor a hash. Without a cache, `load`
 * and `sendCacheable` as ever.
 */
export async function answerCached<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  cache: ProductCache | undefined,
  [kind, key]: ["product" | "page", string],
  load: () => Promise<T>,
): Promise<T | FastifyReply> {
  if (!cache) return sendCacheable(request, reply, await load());
  const held = cache.get(kind, key);
  if (held) return sendAnswer(request, reply, held);
  const mark = cache.mark();
  const body = await load();
  const link = reply.getHeader("link");
  const answer: CachedAnswer = { json: reply.serialize(body) as string, etag: etagOf(body) };
  if (typeof link === "string") answer.link = link;
  cache.set(kind, key, answer, mark);
  return sendAnswer(request, reply, answer);
}

function sendAnswer(request: FastifyRequest, reply: FastifyReply, answer: CachedAnswer): FastifyReply {
  reply.header("etag", answer.etag).header("cache-control", cacheControl);
  if (answer.link !== undefined) reply.header("link", answer.link);
  if (matches(request.headers["if-none-match"], answer.etag)) reply.code(304).send();
  // Already serialized by the route's schema: sent as it is.
  else reply.type("application/json; charset=utf-8").send(answer.json);
  return reply;
}

/** The headers a cacheable answer documents in the OpenAPI document. */
export const cacheableHeaders = {
  ETag: {
    type: "string",
    description: "A strong entity tag of this representation; send it as `If-None-Match`.",
  },
  "Cache-Control": {
    type: "string",
    description: `Public catalog data: \`${cacheControl}\`. The gateway may answer from its own memory cache, which drops an answer when the catalog reports the product changed (a new price shows shortly after its commit, well within a second) and keeps none longer than 30 s by default.`,
  },
} as const;

/** The 304 of a cacheable operation. */
export const notModified = {
  description: "`If-None-Match` matches: the cached representation is current. No body.",
  headers: cacheableHeaders,
  type: "null",
} as const;
