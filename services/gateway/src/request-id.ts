import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const requestIdHeader = "x-request-id";

// Word characters, dot, colon and hyphen: enough for UUIDs, ULIDs and load balancer ids, and
// nothing that could break a log line or a header. (Written `[\w.:-]`: in `[\w.-:]` the hyphen
// would make a range from "." to ":" and let "/" through.)
const sane = /^[\w.:-]{1,128}$/;

/** The caller's `X-Request-Id` when it is sane, or undefined. */
export function acceptRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === "string" && sane.test(header) ? header : undefined;
}

/**
 * Fastify's `genReqId`: the incoming `X-Request-Id` if sane, else a new random UUID. A repeated
 * header arrives joined by ", " and so is replaced too. (Not a UUIDv7: request ids need no order,
 * and `randomUUID` draws from a cached entropy pool — v7 cost 8% of a request's CPU here.)
 */
export function requestIdOf(request: IncomingMessage): string {
  return acceptRequestId(request.headers[requestIdHeader]) ?? randomUUID();
}
