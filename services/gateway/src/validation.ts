import { AjvCompiler } from "@fastify/ajv-compiler";

type BuildValidator = ReturnType<typeof AjvCompiler>;
type Schema = Record<string, unknown>;

const fromPool = AjvCompiler();

/**
 * Fastify's `compilersFactory.buildValidator`, stricter than its default in two ways.
 * - Query strings, paths and headers arrive as text, so their values are coerced to the schema's
 *   types (`page_size=20` → 20); a JSON body already has types, so `"quantity": "2"`, `true` or
 *   `null` is a 400, not a number.
 * - A schema's `additionalProperties: false` refuses unknown properties with a 400 instead of
 *   silently dropping them (fastify's default), so a misspelt field is never ignored.
 * - Every violation is reported (`allErrors`), not only the first, so a client fixes them in one go;
 *   bodies are bounded in size, which bounds the work.
 * Header schemas may name headers as they are written (`Idempotency-Key`), as the OpenAPI document
 * shows them; they are matched in lower case, as Node delivers them.
 */
export const buildValidator: BuildValidator = (externalSchemas, options) => {
  if (options?.mode === "JTD") return fromPool(externalSchemas, options);
  const customOptions = { ...options?.customOptions, removeAdditional: false as const, allErrors: true };
  const text = fromPool(externalSchemas, { ...options, customOptions });
  const json = fromPool(externalSchemas, {
    ...options,
    customOptions: { ...customOptions, coerceTypes: false },
  });
  return (route) => {
    if (route.httpPart === "body") return json(route);
    if (route.httpPart === "headers")
      return text({ ...route, schema: lowerCaseHeaders(route.schema as Schema) });
    return text(route);
  };
};

function lowerCaseHeaders(schema: Schema): Schema {
  const properties = schema["properties"] as Schema | undefined;
  const required = schema["required"] as string[] | undefined;
  return {
    ...schema,
    ...(properties && {
      properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k.toLowerCase(), v])),
    }),
    ...(required && { required: required.map((name) => name.toLowerCase()) }),
  };
}
