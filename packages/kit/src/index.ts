// The toolkit a service is built with; packages/kit/README.md is the map of what follows.

// A service: one bootstrap, its config, its periodic jobs.
export { createService, type Service, type ServiceOptions } from "./service.ts";
export { RpcServiceConfig, DatabaseConfig, AuthConfig } from "./service-config.ts";
export { loadConfig, ConfigError, BaseConfig, port, address, hostPort, flag, z } from "./config.ts";
export type { PeriodicRun } from "./periodic.ts";

// RPC: typed servers and clients from the contracts' descriptors, errors as gRPC statuses.
export { createRpcServer, type RpcServer, type ServiceImpl, type CallContext } from "./rpc/server.ts";
export { createClient, type Client, type ClientOptions } from "./rpc/client.ts";
export type { MethodsOf } from "./rpc/definition.ts";
export {
  TlsConfig,
  readTlsMaterial,
  serverCredentials,
  channelCredentials,
  type TlsMaterial,
} from "./tls-config.ts";
export { peerIdentity } from "./rpc/peer-identity.ts";
export { errorCodes, ServiceError, type ErrorCode } from "./errors.ts";
export type { ErrorDetails, FieldViolation, PreconditionViolation } from "./error-details.ts";
export { runWithContext, currentContext, currentPrincipal, type RequestContext } from "./context.ts";

// Auth: who calls (verified access tokens), what they may call, the service's own token.
export { isAdminPrincipal, isServicePrincipal, type Principal } from "./auth/principal.ts";
export { createTokenVerifier, type TokenVerifier, type TokenVerifierOptions } from "./auth/token-verifier.ts";
export { createServiceToken, type TokenSource, type ServiceTokenOptions } from "./auth/service-token.ts";
export { authorize } from "./auth/access.ts";

// Data: PostgreSQL, migrations, ids, page tokens.
export { createDb, createPgClient, type Db, type Tx } from "./db.ts";
export { migrate, readMigrations } from "./migrations.ts";
export { newId, isUuid, uuidPattern } from "./ids.ts";
export {
  createPageTokens,
  pageTokenKeyOf,
  pageSizeOf,
  defaultPageSize,
  maxPageSize,
  type PageTokenKey,
  type PageTokens,
} from "./page-token.ts";
export { listAll } from "./list-all.ts";
export { pageOf } from "./page-of.ts";

// Events: the outbox and handlers (createService wires the transport).
export { outboxMessage, publish, publishAll, type OutboxMessage } from "./events/outbox.ts";
export type { EventEnvelope, ReceivedEvent } from "./events/envelope.ts";
export type { EventHandler } from "./events/consumer.ts";
export { Notifier } from "./events/notifier.ts";
export { tailEvents, type TailOptions, type TailSource } from "./events/tail.ts";

// Retries, text input, observability.
export { createBackoff, backoffDelay, type Backoff, type BackoffOptions } from "./backoff.ts";
export {
  findRefusedText,
  describeRefusedCharacter,
  refusedTextRule,
  type RefusedText,
} from "./refused-text.ts";
export { createLogger, type Logger } from "./logger.ts";
export { createMetrics, type Metrics } from "./metrics.ts";
export { annotateSpan, inSpan, startSpan, SpanKind, SpanStatusCode, type Span } from "./tracing.ts";
export { ORDER_ID_ATTRIBUTE, type BufferedSpan } from "./span-buffer.ts";
