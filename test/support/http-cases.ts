import { looseBytes, percentEncoded, type HostileString } from "./hostile-strings.ts";

type Json = Record<string, unknown>;

/** One request to the gateway carrying one hostile string in one place. */
export interface HttpCase {
  label: string;
  /** `GET /api/v1/products/{id}` */
  operation: string;
  method: string;
  /** Path and query, percent-encoded. */
  url: string;
  headers: Record<string, string>;
  /** A header whose value must go as raw bytes (fetch would refuse it): sent over a plain socket. */
  rawHeader?: { name: string; value: Buffer };
  body?: string | Buffer;
  hostile: HostileString;
  in: "path" | "query" | "header" | "body";
  parameter: string;
}

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: Json;
}

const object = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
const methods = ["get", "put", "post", "delete", "patch"];
const someId = "0197a000-0000-7000-8000-00000000c0de";

/**
 * The cases for every operation of an OpenAPI 3.1 document: each hostile string in each path,
 * query and header parameter the operation declares, in an undeclared query parameter, in each
 * property of its JSON body and as a property name — everything else about the request valid.
 */
export function httpCases(
  document: Json,
  corpus: readonly HostileString[],
  credentials: { authorization: string },
): HttpCase[] {
  const cases: HttpCase[] = [];
  const resolve = (schema: Json): Json => {
    const ref = schema["$ref"];
    if (typeof ref !== "string") return schema;
    const name = ref.replace(/^#\/components\/schemas\//, "");
    return resolve(object(object(object(document["components"])["schemas"])[name]));
  };
  for (const [template, item] of Object.entries(object(document["paths"]))) {
    for (const [method, value] of Object.entries(object(item))) {
      if (!methods.includes(method)) continue;
      const operation = object(value);
      const parameters = (
        Array.isArray(operation["parameters"]) ? operation["parameters"] : []
      ) as Parameter[];
      const bodySchema = object(object(object(operation["requestBody"])["content"])["application/json"])[
        "schema"
      ];
      const body = bodySchema ? object(exampleOf(resolve(object(bodySchema)), resolve)) : undefined;
      const secured = Array.isArray(operation["security"]) && operation["security"].length > 0;
      const base = {
        operation: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        headers: {
          ...(secured ? credentials : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...Object.fromEntries(
            parameters.filter((p) => p.in === "header" && p.required).map((p) => [p.name, "corpus-key-1"]),
          ),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      };
      const path = (override?: [string, string]) =>
        template.replaceAll(/\{([^}]+)\}/g, (_, name: string) =>
          override?.[0] === name ? override[1] : someId,
        );
      const label = (where: string, name: string, hostile: HostileString) =>
        `${base.method} ${template} ${where} ${name}: ${hostile.name}`;

      for (const hostile of corpus) {
        for (const parameter of parameters) {
          const where = parameter.in as HttpCase["in"];
          const at = {
            hostile,
            in: where,
            parameter: parameter.name,
            label: label(where, parameter.name, hostile),
          };
          if (where === "path") {
            cases.push({ ...base, ...at, url: path([parameter.name, percentEncoded(hostile)]) });
          } else if (where === "query") {
            cases.push({ ...base, ...at, url: `${path()}?${parameter.name}=${percentEncoded(hostile)}` });
          } else if (where === "header") {
            cases.push({
              ...base,
              ...at,
              url: path(),
              rawHeader: { name: parameter.name, value: looseBytes(hostile) },
            });
          }
        }
        // Routes tolerate query parameters they do not know; the check covers those too.
        const extra = { hostile, in: "query" as const, parameter: "corpus" };
        cases.push({
          ...base,
          ...extra,
          label: label("query", "corpus", hostile),
          url: `${path()}?corpus=${percentEncoded(hostile)}`,
        });
        if (body === undefined) continue;
        if (hostile.bytesOnly) {
          // Bytes that are not UTF-8 inside a JSON string.
          const raw = Buffer.concat([Buffer.from('{"x":"'), looseBytes(hostile), Buffer.from('"}')]);
          cases.push({
            ...base,
            hostile,
            in: "body",
            parameter: "x",
            label: label("body", "x", hostile),
            url: path(),
            body: raw,
          });
          continue;
        }
        for (const property of Object.keys(body)) {
          const hostileBody = JSON.stringify({ ...body, [property]: hostile.text });
          cases.push({
            ...base,
            hostile,
            in: "body",
            parameter: property,
            label: label("body", property, hostile),
            url: path(),
            body: hostileBody,
          });
        }
        const named = JSON.stringify({ ...body, [hostile.text]: 1 });
        cases.push({
          ...base,
          hostile,
          in: "body",
          parameter: "(name)",
          label: label("body", "a property name", hostile),
          url: path(),
          body: named,
        });
      }
    }
  }
  return cases;
}

/** A valid value of `schema`: its required properties, UUIDs where it wants them, minimums. */
function exampleOf(schema: Json, resolve: (schema: Json) => Json): unknown {
  switch (schema["type"]) {
    case "object": {
      const properties = object(schema["properties"]);
      const required = (Array.isArray(schema["required"]) ? schema["required"] : []) as string[];
      return Object.fromEntries(
        required.map((name) => [name, exampleOf(resolve(object(properties[name])), resolve)]),
      );
    }
    case "integer":
    case "number":
      return typeof schema["minimum"] === "number" ? Math.max(schema["minimum"], 1) : 1;
    case "boolean":
      return true;
    case "array":
      return [];
    default:
      return schema["format"] === "uuid" ? someId : "corpus";
  }
}
