import rateLimit, { normalizeIP } from "@fastify/rate-limit";
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  onRequestAsyncHookHandler,
} from "fastify";
import { Redis } from "ioredis";
import type { Logger } from "@tessera/kit";
import { problemOf, sendProblem } from "./problem.ts";
import { tooManyRequests } from "./routes/shared-schemas.ts";
import { userOf } from "./user.ts";

export interface RateLimitOptions {
  /** Requests a minute from one client address to `/api` (IPv6 by /64). */
  perIpPerMinute: number;
  /** Requests a minute from one signed-in caller (`sub`) to the routes that need one. */
  perCallerPerMinute: number;
  /** Set: counters in Redis, shared by every gateway; unset: in this process. */
  redisUrl?: string | undefined;
  log: Logger;
}

type Limiter = ReturnType<FastifyInstance["createRateLimit"]>;

const minute = 60_000;

/**
 * Rate limits (@fastify/rate-limit, fixed one-minute windows): per client address on every `/api`
 * route of `app`'s context, this function's own `onRequest` hook, so it runs before a token is looked at; and per
 * caller, the returned hook that route-access.ts runs right after authentication. Each response
 * says where it stands in `RateLimit-Limit`/`-Remaining`/`-Reset` (the limit closer to running
 * out); over a limit is a 429 problem with `Retry-After`. When Redis fails, requests pass: the
 * limits protect the API, they must not take it down.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  { perIpPerMinute, perCallerPerMinute, redisUrl, log }: RateLimitOptions,
): Promise<{ perCaller: onRequestAsyncHookHandler }> {
  const redis = redisUrl === undefined ? undefined : connectRedis(redisUrl, log);
  if (redis)
    app.addHook("onClose", () =>
      redis.quit().then(
        () => undefined,
        () => redis.disconnect(),
      ),
    );
  await app.register(rateLimit, { global: false, redis, nameSpace: "gateway-rate-limit:", cache: 10_000 });

  const perIp = limitBy(
    app.createRateLimit({
      max: perIpPerMinute,
      timeWindow: minute,
      keyGenerator: (r) => `ip:${normalizeIP(r.ip)}`,
    }),
    "this address",
    log,
  );
  // By the route matched, not the raw URL: a percent-encoded `/%61pi/` reaches the same routes.
  app.addHook("onRequest", async (request, reply) =>
    request.routeOptions.url?.startsWith("/api/") ? perIp(request, reply) : undefined,
  );
  const perCaller = limitBy(
    app.createRateLimit({
      max: perCallerPerMinute,
      timeWindow: minute,
      keyGenerator: (r) => `user:${userOf(r)}`,
    }),
    "this caller",
    log,
  );
  return { perCaller };
}

function limitBy(limiter: Limiter, who: string, log: Logger) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    let limit: Awaited<ReturnType<Limiter>>;
    try {
      limit = await limiter(request);
    } catch (error) {
      log.debug({ err: error }, "rate limit not applied: its store failed");
      return undefined;
    }
    if (limit.isAllowed) return undefined;
    const { max, remaining, ttlInSeconds, isExceeded } = limit;
    const shown = reply.getHeader("ratelimit-remaining");
    if (isExceeded || shown === undefined || Number(shown) > remaining) {
      reply.headers({
        "ratelimit-limit": max,
        "ratelimit-remaining": remaining,
        "ratelimit-reset": ttlInSeconds,
      });
    }
    if (!isExceeded) return undefined;
    const detail = `Too many requests from ${who}: at most ${max} a minute. Retry in ${ttlInSeconds} s.`;
    return sendProblem(request, reply, {
      ...problemOf("resource_exhausted", detail),
      retryAfter: ttlInSeconds,
    });
  };
}

/** A Redis client that fails commands at once while disconnected, and says when it is lost and back. */
function connectRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
  let reachable = true;
  redis.on("error", (error: unknown) => {
    if (reachable) log.warn({ err: error }, "rate limits are not enforced: Redis is unreachable");
    reachable = false;
  });
  redis.on("ready", () => {
    if (!reachable) log.info("rate limits are enforced again: Redis is reachable");
    reachable = true;
  });
  return redis;
}

/** An operation's schema as the OpenAPI document shows it: every `/api` operation may be a 429. */
export function documentRateLimit(schema: FastifySchema, url: string): FastifySchema {
  if (!url.startsWith("/api/")) return schema;
  return { ...schema, response: { ...(schema.response as Record<string, unknown>), 429: tooManyRequests } };
}
