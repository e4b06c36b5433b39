import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  runWithContext,
  SpanKind,
  SpanStatusCode,
  startSpan,
  type RequestContext,
  type Span,
} from "@tessera/kit";
import type { Caller } from "./access-token.ts";
import { requestIdHeader } from "./request-id.ts";

/**
 * The kit's request context and the verified caller, whose token the services' RPCs should carry
 * as `authorization: Bearer <token>`. On main the kit's `RequestContext` has no caller and its
 * client sends only `x-request-id` and `traceparent`; the kit's RPC auth (branch i16-kit) adds
 * `principal?: Principal` (`{ subject, roles, clientId, token }`) and forwards `principal.token` on
 * every call made in the context. The caller is put there under that name now, so the token reaches
 * the services as soon as the kit does, with no change here.
 */
export type GatewayContext = RequestContext & {
  /** The caller the route's hook verified; absent on public routes. */
  principal?: Caller;
};

const contexts = new WeakMap<FastifyRequest, GatewayContext>();
const callerSignals = new WeakMap<FastifyRequest, AbortSignal>();
const spans = new WeakMap<FastifyRequest, Span>();

/**
 * Runs every request inside the kit's request context — its id, trace context and deadline — so
 * logs carry the id and outgoing RPCs carry all three. The context is entered in `onRequest` and
 * again in `preHandler`, because body parsing runs in the socket's async context, not ours.
 * Every response, errors included, echoes the request id.
 */
export function installRequestContext(app: FastifyInstance, { timeoutMs }: { timeoutMs: number }): void {
  app.addHook("onRequest", (request, reply, done) => {
    const incoming = acceptTraceparent(request.headers.traceparent);
    // The request's server span (named after its route once routed, in `endRequestSpan`).
    const traced = startSpan(`${request.method}`, SpanKind.SERVER, incoming, {
      "http.request.method": request.method,
    });
    if (traced) spans.set(request, traced.span);
    const context: GatewayContext = {
      requestId: request.id,
      traceparent: traced?.traceparent ?? incoming ?? newTraceparent(),
      deadline: Date.now() + timeoutMs,
    };
    contexts.set(request, context);
    // Aborted when the caller hangs up before its answer was sent. (Not fastify's request.signal:
    // that one follows the request stream, which closes as soon as a POST body has been read.)
    const caller = new AbortController();
    reply.raw.once("close", () => {
      if (!reply.raw.writableFinished) caller.abort(new Error("the caller went away"));
    });
    callerSignals.set(request, caller.signal);
    reply.header(requestIdHeader, request.id);
    runWithContext(context, done);
  });
  app.addHook("preHandler", (request, _reply, done) => runWithContext(contextOf(request), done));
}

/** Ends the request's span, named `<method> <route pattern>`, an error when the answer is a 5xx. */
export function endRequestSpan(request: FastifyRequest, route: string, status: number): void {
  const span = spans.get(request);
  if (!span) return;
  span.updateName(`${request.method} ${route}`);
  span.setAttributes({ "http.route": route, "http.response.status_code": status });
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Aborts when the caller disconnects before the response is complete: pass it to upstream calls. */
export function callerSignal(request: FastifyRequest): AbortSignal | undefined {
  return callerSignals.get(request);
}

/** The context of a request (an empty one for requests rejected before `onRequest`). */
export function contextOf(request: FastifyRequest): GatewayContext {
  return contexts.get(request) ?? { requestId: request.id };
}

/** Makes `caller` (verified by the route's hook) the request's principal, whom its RPCs act for. */
export function actFor(request: FastifyRequest, caller: Caller): void {
  const context = contexts.get(request);
  if (context) context.principal = caller;
}

// W3C trace context, version 00: trace id and parent id, neither all zeros.
const traceparentPattern = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** An incoming `traceparent` header if well formed, so a caller's trace continues through us. */
export function acceptTraceparent(header: string | string[] | undefined): string | undefined {
  return typeof header === "string" && traceparentPattern.test(header) ? header : undefined;
}

/** A new sampled trace, started here at the edge. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
}
