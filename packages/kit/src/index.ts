export { ServiceError, type ErrorCode } from "./errors.ts";
export { loadConfig, ConfigError, BaseConfig, port, address, flag, isHostPort, z } from "./config.ts";
export { createLogger, type Logger } from "./logger.ts";
export { createMetrics, type Metrics } from "./metrics.ts";
export { runWithContext, currentContext, type RequestContext } from "./context.ts";
export { createRpcServer, type RpcServer, type ServiceImpl, type CallContext } from "./rpc/server.ts";
export { createClient, type Client, type ClientOptions } from "./rpc/client.ts";
export { grpcDefinition, type MethodsOf } from "./rpc/definition.ts";
export { createDb, createPgClient, type Db, type Tx } from "./db.ts";
export { isConnectionFailure } from "./connection-errors.ts";
export { migrate, readMigrations, migrationsApplied, type Migration } from "./migrations.ts";
export { createOpsServer } from "./ops-server.ts";
export { createService, type Service, type ServiceOptions } from "./service.ts";
export { RpcServiceConfig, DatabaseConfig, EventsConfig } from "./service-config.ts";
export { startPeriodicJob, type PeriodicJob, type PeriodicRun } from "./periodic.ts";
export { createBackoff, backoffDelay, type Backoff, type BackoffOptions } from "./backoff.ts";
export { newId, isUuid, uuidPattern } from "./ids.ts";
export { createEventBus, type EventBus } from "./events/bus.ts";
export { publish } from "./events/outbox.ts";
export type { EventEnvelope, ReceivedEvent } from "./events/envelope.ts";
export type { EventHandler } from "./events/consumer.ts";
export { Notifier } from "./events/notifier.ts";
export { setUpTracing, inSpan, SpanKind } from "./tracing.ts";
export {
  findRefusedCharacter,
  findRefusedText,
  describeRefusedCharacter,
  refusedTextRule,
  type RefusedCharacter,
  type RefusedText,
} from "./refused-text.ts";
export { createPageTokens, type PageTokens } from "./page-token.ts";
