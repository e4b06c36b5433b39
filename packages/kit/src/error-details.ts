import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, durationFromMs, durationMs, type Any } from "@bufbuild/protobuf/wkt";
import { Metadata } from "@grpc/grpc-js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RetryInfoSchema,
  StatusSchema,
} from "@tessera/contracts/google/rpc";

/** One invalid field of a request: its path (`lines[0].quantity`) and what is wrong with it. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** One unmet precondition: its kind (`stock`), what it concerns (a SKU) and why it failed. */
export interface PreconditionViolation {
  type: string;
  subject: string;
  description: string;
}

/**
 * What a `ServiceError` carries besides its code and message, as google.rpc error details:
 * `reason`, `domain` and `metadata` are an `ErrorInfo`, `fieldViolations` a `BadRequest`,
 * `preconditionViolations` a `PreconditionFailure` and `retryDelayMs` a `RetryInfo`.
 */
export interface ErrorDetails {
  /** The domain condition, kebab-case and stable (`cart-empty`): what a program switches on. */
  reason?: string | undefined;
  /** Who names the reason: `tessera.<service>`; the kit's server fills it in. */
  domain?: string | undefined;
  metadata?: Readonly<Record<string, string>> | undefined;
  fieldViolations?: readonly FieldViolation[] | undefined;
  preconditionViolations?: readonly PreconditionViolation[] | undefined;
  /** How long the caller should wait before trying again. */
  retryDelayMs?: number | undefined;
}

/** The standard trailer that carries a `google.rpc.Status` with the error's details. */
export const statusDetailsKey = "grpc-status-details-bin";

export const reasonPattern = /^[a-z][a-z0-9-]{0,63}$/;

// A peer's details are bounded before anyone reads them: a broken or hostile service must not make
// its caller hold or forward unbounded text.
const maxViolations = 100;
const maxText = 500;
const maxMetadata = 20;
const maxRetryDelayMs = 3_600_000;

/** The trailer of a failed call: its status with every detail the error has, packed as `Any`s. */
export function statusTrailer(code: number, message: string, details: ErrorDetails): Metadata {
  const packed: Any[] = [];
  if (details.reason && reasonPattern.test(details.reason)) {
    const info = { reason: details.reason, domain: details.domain ?? "", metadata: { ...details.metadata } };
    packed.push(anyPack(ErrorInfoSchema, create(ErrorInfoSchema, info)));
  }
  if (details.fieldViolations?.length) {
    const fieldViolations = details.fieldViolations.slice(0, maxViolations);
    packed.push(anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations })));
  }
  if (details.preconditionViolations?.length) {
    const violations = details.preconditionViolations.slice(0, maxViolations);
    packed.push(anyPack(PreconditionFailureSchema, create(PreconditionFailureSchema, { violations })));
  }
  if (details.retryDelayMs !== undefined && details.retryDelayMs >= 0) {
    const retryDelay = durationFromMs(Math.min(details.retryDelayMs, maxRetryDelayMs));
    packed.push(anyPack(RetryInfoSchema, create(RetryInfoSchema, { retryDelay })));
  }
  const metadata = new Metadata();
  if (packed.length === 0) return metadata;
  const status = create(StatusSchema, { code, message, details: packed });
  metadata.set(statusDetailsKey, Buffer.from(toBinary(StatusSchema, status)));
  return metadata;
}

/**
 * The details a failed call's trailer carries, or none. Undecodable bytes, a status whose code is
 * not the call's, and details of unknown types are ignored: the call still fails with its code.
 */
export function detailsOf(code: number, metadata: unknown): ErrorDetails {
  if (!(metadata instanceof Metadata)) return {};
  const bytes = metadata.get(statusDetailsKey)[0];
  if (!Buffer.isBuffer(bytes)) return {};
  let status;
  try {
    status = fromBinary(StatusSchema, bytes);
  } catch {
    return {};
  }
  if (status.code !== code) return {};
  const details: ErrorDetails = {};
  for (const any of status.details) {
    const info = unpack(any, ErrorInfoSchema);
    if (info && reasonPattern.test(info.reason)) {
      details.reason = info.reason;
      details.domain = clip(info.domain);
      details.metadata = Object.fromEntries(
        Object.entries(info.metadata)
          .slice(0, maxMetadata)
          .map(([key, value]) => [clip(key), clip(value)]),
      );
    }
    const badRequest = unpack(any, BadRequestSchema);
    if (badRequest) {
      details.fieldViolations = badRequest.fieldViolations
        .slice(0, maxViolations)
        .map((v) => ({ field: clip(v.field), description: clip(v.description) }));
    }
    const precondition = unpack(any, PreconditionFailureSchema);
    if (precondition) {
      details.preconditionViolations = precondition.violations
        .slice(0, maxViolations)
        .map((v) => ({ type: clip(v.type), subject: clip(v.subject), description: clip(v.description) }));
    }
    const retry = unpack(any, RetryInfoSchema);
    if (retry?.retryDelay) {
      const ms = durationMs(retry.retryDelay);
      if (Number.isFinite(ms) && ms >= 0) details.retryDelayMs = Math.min(ms, maxRetryDelayMs);
    }
  }
  return details;
}

function unpack<Desc extends DescMessage>(any: Any, schema: Desc): MessageShape<Desc> | undefined {
  try {
    return anyUnpack(any, schema);
  } catch {
    return undefined;
  }
}

const clip = (text: string) => (text.length > maxText ? `${text.slice(0, maxText)}…` : text);
