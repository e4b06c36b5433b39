import type { Metadata } from "@grpc/grpc-js";
import type { Principal } from "../auth/principal.ts";
import type { RequestContext } from "../context.ts";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";

/** What a handler knows of its call besides the request. */
export interface CallContext {
  /** `CatalogService/GetProduct` */
  method: string;
  metadata: Metadata;
  /** Absolute deadline in epoch ms, when the caller set one. */
  deadline: number | undefined;
  /** Aborted when the caller cancels or the deadline passes. */
  signal: AbortSignal;
  log: Logger;
  /** The verified caller; undefined only while authentication is off (a server without `authenticate`). */
  principal: Principal | undefined;
}

/** The handler's view of an incoming call, and the request context its outgoing calls inherit. */
export function callContext(
  call: { metadata: Metadata; getDeadline(): number | Date; on(event: "cancelled", fn: () => void): unknown },
  name: string,
  log: Logger,
): { context: CallContext; request: RequestContext } {
  const raw = call.getDeadline();
  const deadlineMs = raw instanceof Date ? raw.getTime() : raw;
  const deadline = Number.isFinite(deadlineMs) ? deadlineMs : undefined;
  const abort = new AbortController();
  call.on("cancelled", () => abort.abort(new ServiceError("cancelled", "call cancelled")));
  const first = (key: string) => {
    const value = call.metadata.get(key)[0];
    return typeof value === "string" ? value : undefined;
  };
  const request: RequestContext = {
    requestId: first("x-request-id"),
    traceparent: first("traceparent"),
    deadline,
  };
  return {
    context: {
      method: name,
      metadata: call.metadata,
      deadline,
      signal: abort.signal,
      log,
      principal: undefined,
    },
    request,
  };
}
