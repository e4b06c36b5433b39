import { AsyncLocalStorage } from "node:async_hooks";
import type { Principal } from "./auth/principal.ts";

/**
 * What travels with one unit of work (an RPC, an HTTP request): ids for logs, the deadline to
 * honour, and who asked.
 */
export interface RequestContext {
  requestId?: string;
  traceparent?: string;
  /** Absolute deadline in epoch ms; outgoing calls never wait past it. */
  deadline?: number;
  /**
   * The verified caller (absent while authentication is off, and outside requests). Outgoing calls
   * made in this context carry its token, so the callee sees the same caller.
   */
  principal?: Principal;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `context` as the current request context. */
export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The current request context, if any. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * The verified caller of the request being handled; undefined outside a request or while
 * authentication is off (no AUTH_ISSUER).
 *
 * @example
 *   const caller = currentPrincipal();
 *   if (caller && !caller.roles.includes("service") && order.userId !== caller.subject) throw notFound();
 */
export function currentPrincipal(): Principal | undefined {
  return storage.getStore()?.principal;
}
