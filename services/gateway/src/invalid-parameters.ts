import type { FastifySchemaValidationError } from "fastify";
import type { FieldViolation } from "@tessera/kit";
import type { InvalidParameter } from "./problem.ts";

const locations: Record<string, InvalidParameter["in"]> = {
  querystring: "query",
  params: "path",
  headers: "header",
  body: "body",
};

/**
 * One `errors[]` entry per schema violation (ajv runs with `allErrors`, so all of them). A body
 * field also gets its RFC 6901 `pointer` into the JSON document (`/lines/0/quantity`).
 */
export function fromValidation(
  issue: FastifySchemaValidationError,
  context: string | undefined,
): InvalidParameter {
  const { missingProperty, additionalProperty } = issue.params;
  const where = locations[context ?? ""] ?? "query";
  // Name the property itself rather than the object holding it: "quantity is required".
  const property =
    typeof missingProperty === "string"
      ? missingProperty
      : typeof additionalProperty === "string"
        ? additionalProperty
        : undefined;
  const segments = issue.instancePath.split("/").slice(1).map(unescapePointer);
  if (property !== undefined) segments.push(property);
  const detail =
    typeof missingProperty === "string"
      ? "is required"
      : typeof additionalProperty === "string"
        ? where === "query"
          ? "is not a known parameter"
          : "is not a known property"
        : (issue.message ?? "is invalid");
  return entry(where, segments, detail);
}

/**
 * The `errors[]` entry of a field violation a service reported (BadRequest), whose path is the
 * proto's (`lines[0].product_id`): the gateway's JSON names fields in camelCase (`/lines/0/productId`).
 */
export function fromFieldViolation(violation: FieldViolation): InvalidParameter {
  const segments = [...violation.field.matchAll(/\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.[\]]+)/g)].map(
    ([, key, index, name]) => key ?? index ?? camelCase(name ?? ""),
  );
  return entry("body", segments, violation.description);
}

function entry(where: InvalidParameter["in"], segments: string[], detail: string): InvalidParameter {
  const parameter = segments.join(".") || "(request)";
  if (where !== "body") return { in: where, parameter, detail };
  return { in: where, parameter, pointer: segments.map((s) => `/${escapePointer(s)}`).join(""), detail };
}

const camelCase = (name: string) => name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
const escapePointer = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1");
const unescapePointer = (segment: string) => segment.replaceAll("~1", "/").replaceAll("~0", "~");
