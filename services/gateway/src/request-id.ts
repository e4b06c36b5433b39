import type { IncomingMessage } from "node:http";
import { newId } from "@tessera/kit";

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
 * Fastify's `genReqId`: the incoming `X-Request-Id` if sane, else a new UUIDv7. A repeated header
 * arrives joined by ", " and so is replaced too.
 */
export function requestIdOf(request: IncomingMessage): string {
  return acceptRequestId(request.headers[requestIdHeader]) ?? newId();
}
