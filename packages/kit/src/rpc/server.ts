import { create, type DescMethod, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from "@grpc/grpc-js";
import type { HealthImplementation } from "grpc-health-check";
import { once } from "node:events";
import { SpanStatusCode } from "@opentelemetry/api";
import { admitCall, type Admit, type AdmittedCall } from "../auth/admit-call.ts";
import type { TokenVerifier } from "../auth/token-verifier.ts";
import { runWithContext, type RequestContext } from "../context.ts";
import { inSpan, SpanKind } from "../tracing.ts";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { callContext, type CallContext } from "./call-context.ts";
import { fileDescriptorProtos, type AnyService, type MethodsOf } from "./definition.ts";
import { serverDefinition } from "./request-check.ts";

export type { CallContext };

type Method = GenServiceMethods[string];
type UnaryHandler<M extends Method> = (
  request: MessageShape<M["input"]>,
  context: CallContext,
) => Promise<MessageInitShape<M["output"]>> | MessageInitShape<M["output"]>;
type ServerStreamingHandler<M extends Method> = (
  request: MessageShape<M["input"]>,
  context: CallContext,
) => AsyncIterable<MessageInitShape<M["output"]>>;

/**
 * Handlers as a plain object keyed by method: `{ getProduct(request, context) {…} }`. A handler
 * returns the response (or yields responses for server streaming) and throws `ServiceError`s.
 */
export type ServiceImpl<S> = {
  [K in keyof MethodsOf<S>]: MethodsOf<S>[K]["methodKind"] extends "unary"
    ? UnaryHandler<MethodsOf<S>[K]>
    : MethodsOf<S>[K]["methodKind"] extends "server_streaming"
      ? ServerStreamingHandler<MethodsOf<S>[K]>
      : never;
};

export interface RpcServerOptions {
  log: Logger;
  metrics: Metrics;
  /**
   * Verifies the `authorization: Bearer <token>` of every call (`createTokenVerifier`); then the
   * method's access option and the user rule are enforced (`auth/access.ts`). Without it every
   * call is let in unauthenticated (`createService` warns loudly).
   */
  authenticate?: TokenVerifier;
  /**
   * How `listen` binds: plaintext when omitted; `serverCredentials(tls)` (`tls-config.ts`) for
   * mutual TLS, where each call's `context.peer` names the calling certificate.
   */
  credentials?: ServerCredentials;
}

/**
 * A grpc-js server with typed protobuf-es services, server reflection and the standard health
 * service. Every call is logged on failure, timed into `rpc_server_duration_seconds`, runs inside
 * a request context carrying its deadline, ids and caller, and maps thrown errors to gRPC statuses.
 * Before the handler runs: a call without a valid access token is UNAUTHENTICATED (with
 * `authenticate`), a request that does not parse or holds a refused character in any string
 * (`refused-text.ts`) is INVALID_ARGUMENT naming the field, and a caller without the right to the
 * method (its `(tessera.options.v1.access)` option, or a user acting for another user) is
 * PERMISSION_DENIED. Health and reflection stay open to all.
 *
 * @example
 *   const rpc = createRpcServer({ log, metrics });
 *   rpc.add(CatalogService, { getProduct: async (req) => ({ product: await store.get(req.id) }) });
 *   await rpc.listen("0.0.0.0:50051");
 */
export function createRpcServer({ log, metrics, authenticate, credentials }: RpcServerOptions) {
  const server = new Server({ "grpc.max_receive_message_length": 4 * 1024 * 1024 });
  // Health and reflection load with the first listen: a process that serves no gRPC pays nothing for them.
  let health: HealthImplementation | undefined;
  const services: AnyService[] = [];
  // Long-lived streams would hold shutdown until its timeout: closing ends them cleanly instead.
  const closing = new AbortController();
  let boundPort = 0;

  return {
    server,
    get port() {
      return boundPort;
    },
    add<S extends AnyService>(service: S, impl: ServiceImpl<S>): void {
      services.push(service);
      const handlers: UntypedServiceImplementation = {};
      for (const method of service.methods) {
        const fn = (impl as Record<string, unknown>)[method.localName];
        if (typeof fn !== "function") throw new Error(`${service.name}.${method.name} has no handler`);
        const name = `${service.name}/${method.name}`;
        const domain = errorDomain(service.typeName);
        const observe = (code: GrpcStatus, started: number) =>
          metrics.rpcServer.observe(
            { service: service.name, method: method.name, code: GrpcStatus[code] },
            (performance.now() - started) / 1000,
          );
        const admit = (call: AdmittedCall) => admitCall(method, call, authenticate, log);
        const fail = (error: unknown): ServiceError => {
          const failure = ServiceError.from(error);
          if (failure.code === "internal") log.error({ err: error, "rpc.method": name }, "rpc failed");
          // A reason this service names is in its domain; one passed on from a callee keeps the callee's.
          if (failure.domain !== undefined) return failure;
          return new ServiceError(failure.code, failure.message, {
            ...failure,
            domain,
            cause: failure.cause,
          });
        };
        switch (method.methodKind) {
          case "unary":
            handlers[method.localName] = unary(
              method,
              fn as UnaryHandler<Method>,
              name,
              log,
              admit,
              observe,
              fail,
            );
            break;
          case "server_streaming":
            handlers[method.localName] = serverStreaming(
              method,
              fn as ServerStreamingHandler<Method>,
              name,
              log,
              admit,
              observe,
              fail,
              closing.signal,
            );
            break;
          case "client_streaming":
          case "bidi_streaming":
            throw new Error(`${name}: ${method.methodKind} methods are not supported`);
        }
      }
      server.addService(serverDefinition(service), handlers);
    },
    /** Binds, adds reflection for every service added so far, and marks them serving. */
    async listen(address: string): Promise<number> {
      const [{ HealthImplementation }, { ReflectionService }] = await Promise.all([
        import("grpc-health-check"),
        import("@grpc/reflection"),
      ]);
      health = new HealthImplementation({ "": "NOT_SERVING" });
      for (const service of services) health.setStatus(service.typeName, "NOT_SERVING");
      health.addToServer(server);
      new ReflectionService({
        "tessera.reflection": { fileDescriptorProtos: fileDescriptorProtos(services) },
      } as never).addToServer(server);
      boundPort = await new Promise<number>((resolve, reject) =>
        server.bindAsync(address, credentials ?? ServerCredentials.createInsecure(), (error, port) =>
          error ? reject(error) : resolve(port),
        ),
      );
      health.setStatus("", "SERVING");
      for (const service of services) health.setStatus(service.typeName, "SERVING");
      return boundPort;
    },
    /** Stops accepting calls and waits for those in flight, up to `timeoutMs`, then cancels the rest. */
    async close(timeoutMs: number): Promise<void> {
      health?.setStatus("", "NOT_SERVING");
      closing.abort();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

export type RpcServer = ReturnType<typeof createRpcServer>;

function unary(
  method: DescMethod,
  handler: UnaryHandler<Method>,
  name: string,
  log: Logger,
  admit: Admit,
  observe: (code: GrpcStatus, started: number) => void,
  fail: (error: unknown) => ServiceError,
) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    const started = performance.now();
    const { context, request } = callContext(call, name, log);
    inSpan(
      name,
      SpanKind.SERVER,
      request.traceparent,
      { "rpc.system": "grpc", "rpc.method": name },
      (traceparent, span) => {
        const scope: RequestContext = { ...request, traceparent };
        return runWithContext(scope, async () => {
          try {
            // The scope object is this call's own: the caller, once verified, joins it for the handler
            // and for the calls the handler makes.
            scope.principal = context.principal = await admit(call);
            const response = create(method.output, (await handler(call.request as never, context)) as never);
            observe(GrpcStatus.OK, started);
            callback(null, response);
          } catch (error) {
            // A handler stopping because its caller gave up (deadline, cancel) is no internal error.
            if (context.signal.aborted) return observe(GrpcStatus.CANCELLED, started);
            const failure = fail(error);
            observe(failure.grpcStatus, started);
            span.setAttribute("rpc.grpc.status_code", failure.grpcStatus);
            if (failure.code === "internal")
              span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
            callback({
              code: failure.grpcStatus,
              details: failure.message,
              metadata: failure.grpcMetadata(failure.domain ?? ""),
            });
          }
        });
      },
    ).catch((error: unknown) => log.error({ err: error }, "rpc callback failed"));
  };
}

function serverStreaming(
  method: DescMethod,
  handler: ServerStreamingHandler<Method>,
  name: string,
  log: Logger,
  admit: Admit,
  observe: (code: GrpcStatus, started: number) => void,
  fail: (error: unknown) => ServiceError,
  closing: AbortSignal,
) {
  return (call: ServerWritableStream<unknown, unknown>): void => {
    const started = performance.now();
    const { context: callOwn, request } = callContext(call, name, log);
    const cancelled = callOwn.signal;
    // The handler stops when the caller cancels or the server shuts down; only the latter ends the call cleanly.
    const context = { ...callOwn, signal: AbortSignal.any([cancelled, closing]) };
    runWithContext(request, async () => {
      try {
        request.principal = context.principal = await admit(call);
        for await (const item of handler(call.request as never, context)) {
          if (context.signal.aborted) break;
          // Respect backpressure: a slow reader must not make us buffer the whole stream.
          if (!call.write(create(method.output, item as never)))
            await once(call, "drain", { signal: context.signal });
        }
        if (!cancelled.aborted) call.end();
        observe(cancelled.aborted ? GrpcStatus.CANCELLED : GrpcStatus.OK, started);
      } catch (error) {
        if (cancelled.aborted) return observe(GrpcStatus.CANCELLED, started);
        if (closing.aborted) {
          call.end();
          return observe(GrpcStatus.OK, started);
        }
        const failure = fail(error);
        observe(failure.grpcStatus, started);
        call.emit("error", {
          code: failure.grpcStatus,
          details: failure.message,
          metadata: failure.grpcMetadata(failure.domain ?? ""),
        });
      }
    }).catch((error: unknown) => log.error({ err: error }, "rpc stream failed"));
  };
}

/** `tessera.orders` for `tessera.orders.v1.OrdersService`: the ErrorInfo domain of its reasons. */
function errorDomain(typeName: string): string {
  return typeName.split(".").slice(0, 2).join(".");
}
