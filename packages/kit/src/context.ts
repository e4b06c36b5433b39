import { AsyncLocalStorage } from "node:async_hooks";

/** What travels with one unit of work (an RPC, an HTTP request): ids for logs, the deadline to honour. */
export interface RequestContext {
  requestId?: string;
  traceparent?: string;
  /** Absolute deadline in epoch ms; outgoing calls never wait past it. */
  deadline?: number;
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
