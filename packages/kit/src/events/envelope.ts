import {
  create,
  fromJson,
  toJson,
  type DescMessage,
  type JsonValue,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { ServiceError } from "../errors.ts";

/** An event as it travels: CloudEvents attribute names around JSON data. */
export interface EventEnvelope {
  /** UUIDv7; consumers dedupe by it. */
  id: string;
  /** Fully qualified protobuf message name of `data`: "tessera.catalog.v1.ProductChanged". */
  type: string;
  /** The producing service. */
  source: string;
  /** The entity the event is about; one subject's events are delivered in order. */
  subject: string;
  time: Date;
  datacontenttype: "application/json";
  /** The data schema's version: the protobuf package version (1 for `.v1.`). */
  schemaVersion: number;
  /** The protobuf JSON mapping of `type`. */
  data: JsonValue;
  /** W3C trace context of the producing span ("" when none). */
  traceparent: string;
  /** Position in the producer's delivery (commit) order; 0n before the relay assigned it. */
  position: bigint;
}

/** A received event: its envelope and its data decoded into the protobuf message. */
export interface ReceivedEvent<D extends DescMessage = DescMessage> {
  envelope: EventEnvelope;
  data: MessageShape<D>;
}

/** The short name of an event type: "ProductChanged" for "tessera.catalog.v1.ProductChanged". */
export function shortType(type: string): string {
  return type.slice(type.lastIndexOf(".") + 1);
}

/** The service that owns an event type by package: "catalog" for "tessera.catalog.v1.ProductChanged". */
export function producerOf(type: string): string {
  const owner = /^tessera\.([a-z][a-z0-9_]*)\.v\d+\./.exec(type)?.[1];
  if (!owner) throw new Error(`event type ${type} is not in a tessera.<service>.v<N> package`);
  return owner;
}

export function schemaVersion(type: string): number {
  return Number(/\.v(\d+)\./.exec(type)?.[1] ?? 1);
}

/**
 * The JSON data of an event, validated against its schema: it must survive the protobuf JSON
 * round trip, so a wrong type or unknown field is refused before anything is written.
 */
export function encodeData<D extends DescMessage>(schema: D, init: MessageInitShape<D>): JsonValue {
  try {
    const json = toJson(schema, create(schema, init));
    fromJson(schema, json);
    return json;
  } catch (error) {
    throw new ServiceError(
      "invalid_argument",
      `invalid ${schema.typeName} event data: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

export function decodeData<D extends DescMessage>(schema: D, data: JsonValue): MessageShape<D> {
  return fromJson(schema, data, { ignoreUnknownFields: true });
}

/** The JSON form of an envelope on a broker (NATS, Kafka): position and time as strings. */
export function envelopeToJson(envelope: EventEnvelope): string {
  return JSON.stringify({
    ...envelope,
    time: envelope.time.toISOString(),
    position: envelope.position.toString(),
  });
}

export function envelopeFromJson(text: string): EventEnvelope {
  const raw = JSON.parse(text) as Record<string, unknown>;
  for (const key of ["id", "type", "source", "subject", "time"]) {
    if (typeof raw[key] !== "string") throw new Error(`event envelope has no ${key}`);
  }
  return {
    id: raw["id"] as string,
    type: raw["type"] as string,
    source: raw["source"] as string,
    subject: raw["subject"] as string,
    time: new Date(raw["time"] as string),
    datacontenttype: "application/json",
    schemaVersion: Number(raw["schemaVersion"] ?? 1),
    data: (raw["data"] ?? {}) as JsonValue,
    traceparent: typeof raw["traceparent"] === "string" ? raw["traceparent"] : "",
    position: BigInt((raw["position"] as string | undefined) ?? "0"),
  };
}
