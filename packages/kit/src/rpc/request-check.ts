import { ScalarType, type DescField, type DescMessage, type DescService } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
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
 * Refuses, as `invalid_argument` naming the field path, a request that did not parse or whose
 * strings — in nested messages, lists and map keys and values alike — hold a character the
 * platform refuses (see `refused-text.ts`). The RPC server calls it before every handler.
 */
export function checkRequest(schema: DescMessage, request: unknown): void {
  if (request instanceof MalformedRequest) {
    const reason = request.cause instanceof Error ? `: ${request.cause.message}` : "";
    throw new ServiceError("invalid_argument", `the request is not a valid ${schema.typeName}${reason}`, {
      cause: request.cause,
    });
  }
  const found = refusedString(schema, request as Record<string, unknown>, "");
  if (found) throw new ServiceError("invalid_argument", `${found}: ${refusedTextRule}`);
}

/** `path contains U+0000, a control character` for the first refused string, or undefined. */
function refusedString(
  schema: DescMessage,
  message: Record<string, unknown>,
  prefix: string,
): string | undefined {
  for (const member of schema.members) {
    if (member.kind === "oneof") {
      const selected = message[member.localName] as { case?: string; value?: unknown } | undefined;
      const field = member.fields.find((f) => f.localName === selected?.case);
      const found = field && refusedValue(field, selected?.value, `${prefix}${field.name}`);
      if (found) return found;
      continue;
    }
    const found = refusedValue(member, message[member.localName], `${prefix}${member.name}`);
    if (found) return found;
  }
  return undefined;
}

function refusedValue(field: DescField, value: unknown, path: string): string | undefined {
  switch (field.fieldKind) {
    case "scalar":
    case "message":
      return refusedElement(field.message, value, path);
    case "list":
      if (!Array.isArray(value)) return undefined;
      for (const [index, item] of value.entries()) {
        const found = refusedElement(field.message, item, `${path}[${index}]`);
        if (found) return found;
      }
      return undefined;
    case "map":
      if (typeof value !== "object" || value === null) return undefined;
      for (const [key, item] of Object.entries(value)) {
        // Keys of integer or boolean maps are numbers written as strings: only string keys are text.
        const keyCharacter = field.mapKey === ScalarType.STRING ? findRefusedCharacter(key) : undefined;
        if (keyCharacter) return `${path} key ${describeRefusedCharacter(keyCharacter)}`;
        const found = refusedElement(field.message, item, `${path}[${JSON.stringify(key)}]`);
        if (found) return found;
      }
      return undefined;
    case "enum":
      return undefined;
  }
}

/** A string is checked; a message is walked (wrapper types such as StringValue arrive unboxed, as strings). */
function refusedElement(schema: DescMessage | undefined, value: unknown, path: string): string | undefined {
  if (typeof value === "string") {
    const character = findRefusedCharacter(value);
    return character && `${path} ${describeRefusedCharacter(character)}`;
  }
  if (schema && typeof value === "object" && value !== null) {
    return refusedString(schema, value as Record<string, unknown>, `${path}.`);
  }
  return undefined;
}
