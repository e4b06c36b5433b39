import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Metrics } from "@tessera/kit";
import { createClientErrorHandler } from "./client-error.ts";
import type { GatewayConfig } from "./config.ts";
import { registerIdentityProxy } from "./identity-proxy.ts";
import { redactSecrets } from "./log-redaction.ts";
import { methodRegistry } from "./method-not-allowed.ts";
import { problemErrorHandler, sendProblem, toProblem } from "./problem.ts";
import { publicApi, type PublicApiOptions } from "./public-api.ts";
import { bodyLimit } from "./request-body.ts";
import { installRequestContext } from "./request-context.ts";
import { requestIdOf } from "./request-id.ts";
import { installRequestMetrics } from "./request-metrics.ts";
import { installSecurityHeaders } from "./security.ts";
import { buildValidator } from "./validation.ts";

export interface AppOptions extends Omit<PublicApiOptions, "config"> {
  metrics: Metrics;
  config: PublicApiOptions["config"] &
    Pick<GatewayConfig, "GATEWAY_REQUEST_TIMEOUT_MS" | "GATEWAY_TRUST_PROXY" | "IDENTITY_HTTP_ADDR">;
}

/**
 * The gateway's HTTP app, ready to `listen()` or to test with `inject()`: the public REST API
 * (public-api.ts) and identity's OpenID provider at `/oidc` (identity-proxy.ts), side by side, with
 * what holds for both — problem+json errors, request ids and deadlines, security headers on what
 * the gateway answers itself, per-route metrics, and logs without credentials.
 */
export async function buildApp({
  log: serviceLog,
  metrics,
  config,
  ...clients
}: AppOptions): Promise<FastifyInstance> {
  const log = redactSecrets(serviceLog);
  const logger: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance: logger,
    // One access-log line per request comes from request-metrics.ts, with the request id from the context.
    logController: new LogController({ disableRequestLogging: true }),
    // The request id reaches log lines through the kit's request context (`http.request.id`), not a `reqId` binding.
    childLoggerFactory: (parent, _bindings, options) => parent.child({}, options),
    genReqId: requestIdOf,
    trustProxy: trustedProxies(config.GATEWAY_TRUST_PROXY),
    bodyLimit,
    schemaController: { compilersFactory: { buildValidator } },
    handlerTimeout: config.GATEWAY_REQUEST_TIMEOUT_MS,
    // Slow senders may not hold a connection open indefinitely (Node's default is 5 minutes).
    requestTimeout: 30_000,
    // Node's default, stated: request line plus headers over 16 KiB get a 414/431 problem (client-error.ts).
    http: { maxHeaderSize: 16 * 1024 },
    clientErrorHandler: createClientErrorHandler({ log, metrics }),
    frameworkErrors: (error, request, reply) => void sendProblem(request, reply, toProblem(error)),
  });

  // HTTP/1.1 lets a client half-close once its request is sent; by default Node's server then
  // aborts the request and ends the socket, so any answer not yet written (an RPC, a token check)
  // would be lost. Half-open, the answer goes out and the socket closes after it.
  (app.server as typeof app.server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  installRequestContext(app, { timeoutMs: config.GATEWAY_REQUEST_TIMEOUT_MS });
  installRequestMetrics(app, { log, metrics });
  app.setErrorHandler(problemErrorHandler(log));
  // A path served with other methods is a 405 with `Allow`; an unknown path a 404.
  const methods = methodRegistry();
  methods.install(app);
  app.setNotFoundHandler(methods.notFound);
  installSecurityHeaders(app);

  await registerIdentityProxy(app, {
    address: config.IDENTITY_HTTP_ADDR,
    timeoutMs: config.GATEWAY_REQUEST_TIMEOUT_MS,
  });
  await app.register(publicApi, { ...clients, log, config });
  return app;
}

/** `GATEWAY_TRUST_PROXY` as fastify takes it: a hop count is a function of the hop. */
function trustedProxies(trust: GatewayConfig["GATEWAY_TRUST_PROXY"]) {
  return typeof trust === "number" ? (_address: string, hop: number) => hop < trust : trust;
}
