import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { errorCodes, runWithContext, ServiceError, type ErrorCode, type Logger } from "@tessera/kit";
import { contextOf } from "./request-context.ts";
import { requestIdHeader } from "./request-id.ts";
import { fromFieldViolation, fromValidation } from "./invalid-parameters.ts";
import {
  isProblemTypeName,
  problemTypes,
  problemTypePrefix,
  problemTypesTable,
  type ProblemTypeName,
} from "./problem-types.ts";
import type { JsonOf } from "./routes/api.ts";

/**
 * Errors leave the gateway as RFC 9457 problem details (`application/problem+json`), translated
 * here and nowhere else. A problem never carries a stack trace or an internal message: 5xx details
 * are fixed sentences, and the cause goes to the log under the same request id.
 */
export type Problem = JsonOf<typeof problemSchema>;

/** For invalid requests: which parameter, and what is wrong with it. */
export type InvalidParameter = NonNullable<Problem["errors"]>[number];

/** What an error becomes before the request's own fields (id, path) are added. */
export interface ProblemParts {
  status: number;
  type: string;
  title: string;
  detail: string;
  errors?: InvalidParameter[];
  /** `Retry-After` in seconds, for a 429, 503 or 504 that knows better than `retryAfterSeconds`. */
  retryAfter?: number;
}

export const problemMediaType = "application/problem+json";

/** Seconds a client should wait before retrying a 503 or 504: the kit's circuit breaker half-opens after 5 s. */
export const retryAfterSeconds = 5;

// Server-side failures get fixed sentences: their messages may name hosts, ports or SQL.
const serverDetails: Partial<Record<ErrorCode, string>> = {
  unavailable: "A service this request needs is unavailable; retry later.",
  deadline_exceeded: "The request took too long to complete; retry later.",
};

/** The HTTP-level statuses the gateway answers by itself, and their types in the table. */
const httpTypes: Record<number, ProblemTypeName> = {
  400: "invalid-argument",
  405: "method-not-allowed",
  408: "request-timeout",
  412: "precondition-failed",
  413: "payload-too-large",
  414: "uri-too-long",
  415: "unsupported-media-type",
  428: "precondition-required",
  431: "request-header-fields-too-large",
};

/** The types that are not domain conditions: a code's own, or an HTTP-level status's. */
const transportTypes = new Set<string>([
  ...Object.values(httpTypes),
  ...errorCodes.map((code) => code.replaceAll("_", "-")),
]);

/**
 * The problem of a `ServiceError` code, typed by its `reason` when the reason is a public problem
 * type (see `problem-types.ts`), else by the code.
 */
export function problemOf(
  code: ErrorCode,
  detail: string,
  errors?: InvalidParameter[],
  reason?: string,
): ProblemParts {
  const codeName = code.replaceAll("_", "-");
  const codeStatus = new ServiceError(code, detail).httpStatus;
  // A reason types a refusal, never a failure (a 5xx stays its code's type), and only as a domain
  // condition: a service cannot pass a refusal off as another code's or an HTTP-level type.
  const domain = reason && codeStatus < 500 && isProblemTypeName(reason) && !transportTypes.has(reason);
  const name = domain ? reason : codeName;
  // Only `cancelled` has no entry: its caller has gone and reads no answer.
  const known = isProblemTypeName(name) ? problemTypes[name] : { status: codeStatus, title: "Cancelled" };
  const status = known.status;
  return {
    status,
    type: problemTypePrefix + name,
    title: known.title,
    detail: status >= 500 ? (serverDetails[code] ?? "internal error") : detail,
    errors,
  };
}

/** The problem of a plain HTTP-level status (400, 413, 414, 431…). */
export function httpProblem(status: number, detail: string, errors?: InvalidParameter[]): ProblemParts {
  const name = httpTypes[status];
  if (name)
    return { status, type: problemTypePrefix + name, title: problemTypes[name].title, detail, errors };
  const title = STATUS_CODES[status] ?? "Error";
  return {
    status,
    type: problemTypePrefix + title.toLowerCase().replaceAll(/[^a-z0-9]+/g, "-"),
    title,
    detail,
  };
}

/** Translates anything thrown while handling a request. */
export function toProblem(error: unknown): ProblemParts {
  if (error instanceof ServiceError) return serviceProblem(error);
  if (!(error instanceof Error)) return problemOf("internal", "internal error");
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const errors = fastifyError.validation.map((issue) =>
      fromValidation(issue, fastifyError.validationContext),
    );
    return httpProblem(400, describe(errors), errors);
  }
  switch (fastifyError.code ?? "") {
    case "FST_ERR_HANDLER_TIMEOUT":
      return problemOf("deadline_exceeded", "handler timed out");
    case "FST_ERR_BAD_URL":
      return httpProblem(400, "The URL is not validly encoded.");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return httpProblem(414, "A path segment is too long.");
  }
  const status = fastifyError.statusCode;
  // Fastify's own client errors (body too large, bad JSON, wrong media type) say nothing internal.
  if (typeof status === "number" && status >= 400 && status < 500) {
    return httpProblem(status, error.message.slice(0, 300));
  }
  return problemOf("internal", "internal error");
}

/** A service's refusal: its reason types it, its field violations are `errors[]`, its RetryInfo `Retry-After`. */
function serviceProblem(error: ServiceError): ProblemParts {
  const errors = error.fieldViolations.length > 0 ? error.fieldViolations.map(fromFieldViolation) : undefined;
  const parts = problemOf(error.code, error.message, errors, error.reason);
  if (error.retryDelayMs !== undefined) parts.retryAfter = Math.max(1, Math.ceil(error.retryDelayMs / 1000));
  return parts;
}

const describe = (errors: InvalidParameter[]) => errors.map((e) => `${e.parameter} ${e.detail}`).join("; ");

/** The full problem body for a request. */
export function problemBody(parts: ProblemParts, requestId: string, path?: string): Problem {
  const problem: Problem = {
    type: parts.type,
    title: parts.title,
    status: parts.status,
    detail: parts.detail,
    requestId,
  };
  if (path !== undefined && path.length <= 1024) problem.instance = path;
  if (parts.errors) problem.errors = parts.errors;
  return problem;
}

/** Response headers every problem carries besides the content type. */
export function problemHeaders(parts: ProblemParts, requestId: string): Record<string, string> {
  const headers: Record<string, string> = {
    [requestIdHeader]: requestId,
    "cache-control": "no-store",
    // Also on problems sent before helmet's hook runs (router errors).
    "x-content-type-options": "nosniff",
  };
  if (parts.status === 503 || parts.status === 504 || parts.status === 429) {
    headers["retry-after"] = String(parts.retryAfter ?? retryAfterSeconds);
  }
  return headers;
}

/** Sends `parts` as the reply to `request`. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, parts: ProblemParts): FastifyReply {
  const path = request.url.split("?", 1)[0];
  return reply
    .code(parts.status)
    .headers(problemHeaders(parts, request.id))
    .type(problemMediaType)
    .send(JSON.stringify(problemBody(parts, request.id, path)));
}

/**
 * The gateway's error handler: logs server-side failures with their cause (the request id comes
 * from the request context) and replies with a problem.
 */
export function problemErrorHandler(log: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const parts = toProblem(error);
    if (parts.status >= 500) {
      const fields = { err: error, "http.route": request.routeOptions.url };
      // A handler timeout fires from a timer started before our context existed: enter it explicitly.
      runWithContext(contextOf(request), () =>
        parts.status === 503 || parts.status === 504
          ? log.warn(fields, "request failed: a dependency is unavailable")
          : log.error(fields, "request failed"),
      );
    }
    return sendProblem(request, reply, parts);
  };
}

/** Replies 404 to a request no route matched. */
export function routeNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(
    request,
    reply,
    problemOf(
      "not_found",
      `No route for ${request.method} ${truncate(request.url.split("?", 1)[0] ?? "", 200)}.`,
    ),
  );
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The problem document as a JSON schema, for the OpenAPI document (`$ref: "Problem#"`). */
export const problemSchema = {
  $id: "Problem",
  type: "object",
  description: `An RFC 9457 problem detail. \`type\` is a stable identifier to switch on, not a link; a client should treat a type it does not know by its \`status\`. The types:\n\n${problemTypesTable()}`,
  required: ["type", "title", "status", "detail", "requestId"],
  properties: {
    type: { type: "string", format: "uri", examples: ["urn:tessera:problem:not-found"] },
    title: { type: "string", examples: ["Not found"] },
    status: { type: "integer", minimum: 100, maximum: 599 },
    detail: { type: "string" },
    instance: { type: "string", description: "The path of the request that failed." },
    requestId: { type: "string", description: "The request's id, also in the X-Request-Id header." },
    errors: {
      type: "array",
      description: "Every violation of an invalid request, one entry each.",
      items: {
        type: "object",
        required: ["in", "parameter", "detail"],
        properties: {
          in: { type: "string", enum: ["query", "path", "header", "body"] },
          parameter: {
            type: "string",
            description: "The parameter's name, or the body field's path (`lines.0.quantity`).",
          },
          pointer: {
            type: "string",
            description:
              "For a body field: an RFC 6901 JSON pointer to it (`/lines/0/quantity`); empty for the whole body.",
          },
          detail: { type: "string" },
        },
      },
    },
  },
} as const;
