import { ScalarType, type DescField, type DescMessage, type DescService } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import type { FieldViolation } from "../error-details.ts";
import { ServiceError } from "../errors.ts";
import { describeRefusedCharacter, findRefusedCharacter, refusedTextRule } from "../refused-text.ts";
import { grpcDefinition } from "./definition.ts";

/** A request whose bytes are not a message of its type (invalid UTF-8 in a string, truncated, garbage). */
class MalformedRequest {
  readonly cause: unknown;
  constructor(cause: unknown) {
    this.cause = cause;
  }
}

/**
 * The grpc-js definition a server registers: as `grpcDefinition`, but a request that does not
 * parse becomes a `MalformedRequest` for `checkRequest` to refuse. (grpc-js answers a throwing
 * deserializer with INTERNAL, which blames the server for the caller's bytes.)
 */
export function serverDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = { ...grpcDefinition(service) };
  for (const [name, method] of Object.entries(definition)) {
    const parse = method.requestDeserialize;
    definition[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return parse(bytes);
        } catch (error) {
          return new MalformedRequest(error);
        }
      },
    };
  }
  return definition;
}

/**
 * Refuses, as `invalid_argument` with a BadRequest field violation for each (the field path and
 * what is wrong), a request that did not parse or whose strings — in nested messages, lists and map
 * keys and values alike — hold a character the platform refuses (see `refused-text.ts`). Every
 * refused string is reported, not only the first. The RPC server calls it before every handler.
 */
export function checkRequest(schema: DescMessage, request: unknown): void {
  if (request instanceof MalformedRequest) {
    const reason = request.cause instanceof Error ? `: ${request.cause.message}` : "";
    throw new ServiceError("invalid_argument", `the request is not a valid ${schema.typeName}${reason}`, {
      cause: request.cause,
    });
  }
  const found: FieldViolation[] = [];
  refusedStrings(schema, request as Record<string, unknown>, "", found);
  if (found.length === 0) return;
  const message = found.map((v) => `${v.field} ${v.description}`).join("; ");
  throw new ServiceError("invalid_argument", `${message}: ${refusedTextRule}`, { fieldViolations: found });
}

/** Adds a violation (`path`, `contains U+0000, a control character`) for each refused string. */
function refusedStrings(
  schema: DescMessage,
  message: Record<string, unknown>,
  prefix: string,
  found: FieldViolation[],
): void {
  for (const member of schema.members) {
    if (member.kind === "oneof") {
      const selected = message[member.localName] as { case?: string; value?: unknown } | undefined;
      const field = member.fields.find((f) => f.localName === selected?.case);
      if (field) refusedValue(field, selected?.value, `${prefix}${field.name}`, found);
      continue;
    }
    refusedValue(member, message[member.localName], `${prefix}${member.name}`, found);
  }
}

function refusedValue(field: DescField, value: unknown, path: string, found: FieldViolation[]): void {
  switch (field.fieldKind) {
    case "scalar":
    case "message":
      return refusedElement(field.message, value, path, found);
    case "list":
      if (!Array.isArray(value)) return;
      for (const [index, item] of value.entries())
        refusedElement(field.message, item, `${path}[${index}]`, found);
      return;
    case "map":
      if (typeof value !== "object" || value === null) return;
      for (const [key, item] of Object.entries(value)) {
        // Keys of integer or boolean maps are numbers written as strings: only string keys are text.
        const keyCharacter = field.mapKey === ScalarType.STRING ? findRefusedCharacter(key) : undefined;
        if (keyCharacter)
          found.push({ field: `${path} key`, description: describeRefusedCharacter(keyCharacter) });
        refusedElement(field.message, item, `${path}[${JSON.stringify(key)}]`, found);
      }
      return;
    case "enum":
      return;
  }
}

/** A string is checked; a message is walked (wrapper types such as StringValue arrive unboxed, as strings). */
function refusedElement(
  schema: DescMessage | undefined,
  value: unknown,
  path: string,
  found: FieldViolation[],
): void {
  if (typeof value === "string") {
    const character = findRefusedCharacter(value);
    if (character) found.push({ field: path, description: describeRefusedCharacter(character) });
    return;
  }
  if (schema && typeof value === "object" && value !== null) {
    refusedStrings(schema, value as Record<string, unknown>, `${path}.`, found);
  }
}
