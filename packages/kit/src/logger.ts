import { ecsFormat } from "@elastic/ecs-pino-format";
import { pino, type Logger, type DestinationStream } from "pino";
import { currentContext } from "./context.ts";

export type { Logger };

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/**
 * A pino logger writing Elastic Common Schema JSON lines (ELK ingests them as they are), tagged with
 * `service.name`, and with the current request's id and trace id on every line.
 *
 * @example
 *   const log = createLogger({ service: "catalog" });
 *   log.info({ productId }, "product created");
 */
export function createLogger({ service, level = "info", destination }: LoggerOptions): Logger {
  const ecs = ecsFormat({ serviceName: service, convertErr: true });
  return pino(
    {
      ...ecs,
      level,
      mixin() {
        const context = currentContext();
        if (!context) return {};
        const fields: Record<string, unknown> = {};
        if (context.requestId) fields["http.request.id"] = context.requestId;
        const [, traceId, spanId] = context.traceparent?.split("-") ?? [];
        if (traceId) fields["trace.id"] = traceId;
        if (spanId) fields["span.id"] = spanId;
        return fields;
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
