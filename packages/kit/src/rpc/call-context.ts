import type { Metadata } from "@grpc/grpc-js";
import type { Principal } from "../auth/principal.ts";
import type { RequestContext } from "../context.ts";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { peerIdentity } from "./peer-identity.ts";

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
  /**
   * The calling service's name from its verified client certificate (subject CN, else first SAN)
   * when the server runs mutual TLS (`GRPC_TLS_*`); undefined over plaintext. See `peerIdentity`.
   */
  peer: string | undefined;
}

/** The handler's view of an incoming call, and the request context its outgoing calls inherit. */
export function callContext(
  call: {
    metadata: Metadata;
    getDeadline(): number | Date;
    on(event: "cancelled", fn: () => void): unknown;
  } & Parameters<typeof peerIdentity>[0],
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
  const peer = peerIdentity(call);
  return {
    context: {
      method: name,
      metadata: call.metadata,
      deadline,
      signal: abort.signal,
      // The handler's logs name the calling certificate, when there is one.
      log: peer ? log.child({ "rpc.peer": peer }) : log,
      principal: undefined,
      peer,
    },
    request,
  };
}
