import type { JsonSchemaToTsProvider } from "@fastify/type-provider-json-schema-to-ts";
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import { problemSchema } from "../problem.ts";
import { cartSchemas } from "./cart-schemas.ts";
import { notificationSchemas } from "./notifications.ts";
import { orderSchemas } from "./order-schemas.ts";
import { productSchemas } from "./product-schemas.ts";

/**
 * The schemas route schemas share by `$ref: "Name#"`: added to the app once, shown as
 * `components.schemas` in the OpenAPI document, and resolved the same way in the types below.
 */
export const sharedSchemas = [
  problemSchema,
  ...productSchemas,
  ...cartSchemas,
  ...orderSchemas,
  ...notificationSchemas,
] as const;

type References = { references: [...typeof sharedSchemas] };

/**
 * Request and reply types from the route schemas (json-schema-to-ts): a route's `request.query`,
 * `params`, `headers` and `body` have the types its schemas validate, and its handler must return
 * what one of its response schemas describes. Schemas are `as const` for this.
 */
export type ApiTypes = JsonSchemaToTsProvider<{
  ValidatorSchemaOptions: References;
  SerializerSchemaOptions: References;
}>;

/** The app as routes see it: `app.get(url, { schema }, handler)` types the handler from the schema. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ApiTypes
>;

/**
 * The JSON a schema describes, as the gateway builds it: `JsonOf<typeof cartSchema>`. The type a
 * route's reply gets, except that objects have only the properties their schema names (JSON Schema
 * allows others, as `[x: string]: unknown`; the gateway sends none), so a misspelt property is a
 * type error. A map (`additionalProperties: { type: "string" }`) keeps its index signature.
 */
export type JsonOf<Schema> = Named<(ApiTypes & { schema: Schema })["serializer"]>;

type Named<T> = T extends readonly (infer Item)[]
  ? Named<Item>[]
  : T extends object
    ? { [K in keyof T as string extends K ? (unknown extends T[K] ? never : K) : K]: Named<T[K]> }
    : T;
