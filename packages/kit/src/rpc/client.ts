import type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import {
  Metadata,
  credentials,
  type ChannelCredentials,
  makeGenericClientConstructor,
  status as GrpcStatus,
  type CallOptions,
  type Client as GrpcClient,
  type ClientReadableStream,
  type ServiceError as GrpcServiceError,
  type StatusObject,
} from "@grpc/grpc-js";
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  CircuitState,
  handleWhen,
  noop,
  retry,
  wrap,
  type IPolicy,
} from "cockatiel";
import type { TokenSource } from "../auth/service-token.ts";
import { bearerOf, isUnauthenticated, withTokenRenewal, type Bearer } from "./client-tokens.ts";
import { currentContext } from "../context.ts";
import { inSpan, SpanKind } from "../tracing.ts";
import { ServiceError } from "../errors.ts";
import type { Metrics } from "../metrics.ts";
import { channelTarget, roundRobin } from "./channel-target.ts";
import { grpcDefinition, type AnyService, type MethodsOf } from "./definition.ts";

export interface CallOverrides {
  /** This call's deadline in ms from now; never later than an inherited deadline. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The bearer token of this call, instead of the client's (an edge calling for the user it verified). */
  token?: string;
}

/** A promise-based typed client: `await catalog.getProduct({ id })`. */
export type Client<S> = {
  [K in keyof MethodsOf<S>]: MethodsOf<S>[K]["methodKind"] extends "unary"
    ? (
        request: MessageInitShape<MethodsOf<S>[K]["input"]>,
        options?: CallOverrides,
      ) => Promise<MessageShape<MethodsOf<S>[K]["output"]>>
    : MethodsOf<S>[K]["methodKind"] extends "server_streaming"
      ? (
          request: MessageInitShape<MethodsOf<S>[K]["input"]>,
          options?: CallOverrides,
        ) => AsyncIterable<MessageShape<MethodsOf<S>[K]["output"]>>
      : never;
} & { close(): void };

export interface ClientOptions {
  /** Default deadline of unary calls without an inherited one. */
  deadlineMs?: number;
  /** Attempts in all (first try included) for idempotent methods. */
  maxAttempts?: number;
  /** Consecutive failures that open the breaker, and how long it stays open. */
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  metrics?: Metrics;
  /** A fixed bearer token for every call (a test's, an operator tool's). */
  token?: string;
  /**
   * The client's own token (a service's client-credentials token, `createServiceToken`): sent when a
   * call is not made while handling a caller's request, and renewed once when a callee refuses it.
   */
  credentials?: TokenSource;
  /**
   * Whether a call made while handling a request carries that request's caller's token (default
   * true: the callee sees the same caller). False for machinery that acts as the service itself.
   */
  forwardCallerToken?: boolean;
  /** The channel's transport: plaintext when omitted; `channelCredentials(tls)` (`tls-config.ts`) for mutual TLS. */
  channelCredentials?: ChannelCredentials;
}

// Failures that say "the service is not answering", as opposed to "the service said no".
const transient = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
]);
const isTransient = (error: unknown) =>
  error instanceof Error && transient.has((error as GrpcServiceError).code);
// Retries share the call's one absolute deadline: after DEADLINE_EXCEEDED, another attempt can only fail
// the same way (and would count against the breaker once more).
const isRetryable = (error: unknown) =>
  isTransient(error) && (error as GrpcServiceError).code !== GrpcStatus.DEADLINE_EXCEEDED;

/**
 * A typed client for `service` at `address`: `host:port`, or several replicas balanced round-robin
 * (`channelTarget`). Unary calls get a deadline (the default, or the caller's inherited one if
 * sooner), carry the request id and trace context, retry with
 * jittered exponential backoff when the method is marked `idempotency_level = NO_SIDE_EFFECTS` or
 * `IDEMPOTENT` and the failure is transient, and go through a circuit breaker that fails fast
 * with `unavailable` while the service is down. Errors arrive as `ServiceError`. Each call carries
 * `authorization: Bearer`: the call's or client's fixed `token`, else the token of the caller whose
 * request is being handled, else the client's own `credentials`; none of these, no header.
 *
 * @example
 *   const catalog = createClient(CatalogService, "127.0.0.1:50051", { metrics });
 *   const { product } = await catalog.getProduct({ id });
 */
export function createClient<S extends AnyService>(
  service: S,
  address: string,
  {
    deadlineMs = 2_000,
    maxAttempts = 3,
    breakerThreshold = 5,
    breakerHalfOpenAfterMs = 5_000,
    metrics,
    token,
    credentials: ownToken,
    forwardCallerToken = true,
    channelCredentials,
  }: ClientOptions = {},
): Client<S> {
  const Constructor = makeGenericClientConstructor(grpcDefinition(service), service.typeName);
  const { target, balanced } = channelTarget(address);
  const grpc = new Constructor(target, channelCredentials ?? credentials.createInsecure(), {
    "grpc.keepalive_time_ms": 30_000,
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": 2_000,
    ...(balanced && { "grpc.service_config": roundRobin }),
  }) as GrpcClient & Record<string, (...args: unknown[]) => unknown>;

  const retrying = retry(handleWhen(isRetryable), {
    maxAttempts: maxAttempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 500 }),
  });

  const bearer = bearerOf(token, ownToken, forwardCallerToken);
  const client: Record<string, unknown> = { close: () => grpc.close() };
  for (const method of service.methods) {
    const idempotent = method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN;
    // One breaker per method: a method failing because of the callee's own dependency (the cart's
    // AddItem while the catalog is down) must not stop the callee's other methods (GetCart).
    const breaker = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: breakerHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(breakerThreshold),
    });
    const policy: IPolicy = idempotent ? wrap(retrying, breaker) : wrap(noop, breaker);
    const label = { service: service.name, method: method.name };
    metrics?.rpcClientBreaker.set(label, CircuitState.Closed);
    breaker.onStateChange((state) => metrics?.rpcClientBreaker.set(label, state));
    const call = (grpc[method.localName] as (...args: unknown[]) => unknown).bind(grpc);

    if (method.methodKind === "unary") {
      client[method.localName] = async (request: unknown, overrides: CallOverrides = {}) => {
        const deadline = effectiveDeadline(overrides.timeoutMs ?? deadlineMs);
        const started = performance.now();
        let code: GrpcStatus = GrpcStatus.OK;
        try {
          return await inSpan(
            `${service.name}/${method.name}`,
            SpanKind.CLIENT,
            currentContext()?.traceparent,
            { "rpc.system": "grpc" },
            (traceparent) =>
              policy.execute(({ signal }) =>
                withTokenRenewal(
                  bearer,
                  overrides.token,
                  (authorization) =>
                    new Promise((resolve, reject) => {
                      const abort = () => pending.cancel();
                      const pending = call(
                        request,
                        outgoingMetadata(traceparent, authorization),
                        { deadline } satisfies CallOptions,
                        (error: GrpcServiceError | null, response: unknown) => {
                          // The caller's signal may outlive many calls: leave no listener behind on it.
                          signal.removeEventListener("abort", abort);
                          overrides.signal?.removeEventListener("abort", abort);
                          if (error) reject(error);
                          else resolve(response);
                        },
                      ) as { cancel(): void };
                      signal.addEventListener("abort", abort, { once: true });
                      overrides.signal?.addEventListener("abort", abort, { once: true });
                      if (overrides.signal?.aborted) abort();
                    }),
                ),
              ),
          );
        } catch (error) {
          const failure = asServiceError(error, service.name, breakerHalfOpenAfterMs);
          code = failure.grpcStatus;
          throw failure;
        } finally {
          metrics?.rpcClient.observe(
            { ...label, code: GrpcStatus[code] },
            (performance.now() - started) / 1000,
          );
        }
      };
    } else if (method.methodKind === "server_streaming") {
      client[method.localName] = (request: unknown, overrides: CallOverrides = {}) =>
        stream(
          async () => {
            const deadline = streamDeadline(overrides.timeoutMs);
            const authorization = await bearer(overrides.token);
            const opened = call(request, outgoingMetadata(undefined, authorization), {
              deadline,
            } satisfies CallOptions) as ClientReadableStream<unknown>;
            return { call: opened, authorization };
          },
          service.name,
          overrides.signal,
        );
    }
  }
  return client as Client<S>;
}

function effectiveDeadline(timeoutMs: number): number {
  const inherited = currentContext()?.deadline;
  const own = Date.now() + timeoutMs;
  const deadline = inherited === undefined ? own : Math.min(own, inherited);
  if (deadline <= Date.now()) throw new ServiceError("deadline_exceeded", "deadline already passed");
  return deadline;
}

// Streams may be long-lived, so they get no default deadline, but never outlive an inherited one.
function streamDeadline(timeoutMs: number | undefined): number {
  if (timeoutMs) return effectiveDeadline(timeoutMs);
  const inherited = currentContext()?.deadline;
  if (inherited === undefined) return Infinity;
  if (inherited <= Date.now()) throw new ServiceError("deadline_exceeded", "deadline already passed");
  return inherited;
}

function outgoingMetadata(traceparent = currentContext()?.traceparent, authorization?: Bearer): Metadata {
  const metadata = new Metadata();
  const context = currentContext();
  if (context?.requestId) metadata.set("x-request-id", context.requestId);
  if (traceparent) metadata.set("traceparent", traceparent);
  if (authorization) metadata.set("authorization", `Bearer ${authorization.token}`);
  return metadata;
}

/** A call's failure as a ServiceError; an open circuit says when it lets a call through again. */
function asServiceError(error: unknown, target: string, halfOpenAfterMs?: number): ServiceError {
  if (error instanceof BrokenCircuitError) {
    return new ServiceError("unavailable", `${target} is unavailable (circuit open)`, {
      cause: error,
      retryDelayMs: halfOpenAfterMs,
    });
  }
  return ServiceError.from(error);
}

async function* stream(
  open: () => Promise<{ call: ClientReadableStream<unknown>; authorization: Bearer | undefined }>,
  target: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<unknown> {
  const { call, authorization } = await open();
  // grpc-js may end the readable side before it emits the call's error, so a failed call can end
  // the loop below as if it had succeeded: its status, always emitted, is what says how it ended.
  // (Its 'error' is then read from the status, so it needs a listener of its own.)
  const status = new Promise<StatusObject>((resolve) => call.once("status", resolve));
  call.on("error", () => {});
  const abort = () => call.cancel();
  signal?.addEventListener("abort", abort, { once: true });
  try {
    for await (const message of call) yield message;
    const ended = await status;
    if (ended.code !== GrpcStatus.OK && !signal?.aborted) {
      throw Object.assign(new Error(ended.details), ended);
    }
  } catch (error) {
    if (signal?.aborted) return;
    // The stream's owner reopens it (the direct transport does, with backoff): with a fresh token then.
    if (authorization?.renewable && isUnauthenticated(error))
      authorization.renewable.invalidate(authorization.token);
    throw asServiceError(error, target);
  } finally {
    signal?.removeEventListener("abort", abort);
    call.cancel();
  }
}
