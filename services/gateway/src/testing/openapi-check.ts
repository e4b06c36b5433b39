type Json = Record<string, unknown>;

const object = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * Structural checks of an OpenAPI 3.1 document — the rules a generator gets wrong in practice:
 * version, required members, path templates matching path parameters, unique operation ids,
 * every `$ref` resolving, and no OpenAPI 3.0-only schema keywords. Returns what is wrong.
 */
export function openApiProblems(document: unknown): string[] {
  const problems: string[] = [];
  const doc = object(document);
  if (doc["openapi"] !== "3.1.0") problems.push(`openapi is ${JSON.stringify(doc["openapi"])}, not 3.1.0`);
  const info = object(doc["info"]);
  if (typeof info["title"] !== "string" || typeof info["version"] !== "string") {
    problems.push("info.title and info.version must be strings");
  }
  const operationIds = new Set<unknown>();
  for (const [path, item] of Object.entries(object(doc["paths"]))) {
    if (!path.startsWith("/")) problems.push(`path ${path} must start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, value] of Object.entries(object(item))) {
      if (!methods.includes(method)) continue;
      const operation = object(value);
      const where = `${method.toUpperCase()} ${path}`;
      if (operation["operationId"] !== undefined) {
        if (operationIds.has(operation["operationId"])) problems.push(`${where}: duplicate operationId`);
        operationIds.add(operation["operationId"]);
      }
      const parameters = (Array.isArray(operation["parameters"]) ? operation["parameters"] : []).map(object);
      for (const parameter of parameters) {
        if (!["query", "header", "path", "cookie"].includes(String(parameter["in"])))
          problems.push(`${where}: bad "in"`);
        if (typeof parameter["name"] !== "string") problems.push(`${where}: parameter without name`);
        if (parameter["in"] === "path" && parameter["required"] !== true) {
          problems.push(`${where}: path parameter ${String(parameter["name"])} must be required`);
        }
      }
      for (const name of templated) {
        if (!parameters.some((p) => p["in"] === "path" && p["name"] === name)) {
          problems.push(`${where}: path parameter ${name} is not declared`);
        }
      }
      const responses = Object.entries(object(operation["responses"]));
      if (responses.length === 0) problems.push(`${where}: no responses`);
      for (const [status, response] of responses) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status))
          problems.push(`${where}: bad response key ${status}`);
        if (typeof object(response)["description"] !== "string")
          problems.push(`${where} ${status}: no description`);
      }
    }
  }
  visit(doc, "#", (node, pointer) => {
    const ref = node["$ref"];
    if (typeof ref === "string" && resolve(doc, ref) === undefined)
      problems.push(`${pointer}: $ref ${ref} does not resolve`);
    if (typeof node["nullable"] === "boolean") problems.push(`${pointer}: nullable is OpenAPI 3.0`);
    if (typeof node["exclusiveMinimum"] === "boolean" || typeof node["exclusiveMaximum"] === "boolean") {
      problems.push(`${pointer}: boolean exclusiveMinimum/Maximum is OpenAPI 3.0`);
    }
  });
  return problems;
}

function visit(node: unknown, pointer: string, fn: (node: Json, pointer: string) => void): void {
  if (typeof node !== "object" || node === null) return;
  if (!Array.isArray(node)) fn(node as Json, pointer);
  for (const [key, child] of Object.entries(node)) visit(child, `${pointer}/${key}`, fn);
}

function resolve(doc: Json, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Json)[raw.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return node;
}
