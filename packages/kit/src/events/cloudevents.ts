import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { EventSchema } from "@tessera/contracts/events/v1";
import type { Logger } from "../logger.ts";
import type { EventEnvelope } from "./envelope.ts";

/**
 * The CloudEvents attributes a broker message (NATS, Kafka) carries as headers beside its JSON
 * envelope, binary-mode names, and the W3C trace context: tools route and trace it unparsed.
 *
 * @example
 *   cloudEventHeaders(envelope); // { "ce-type": "tessera.catalog.v1.ProductChanged", "ce-source": "catalog", … }
 */
export function cloudEventHeaders(envelope: EventEnvelope): Record<string, string> {
  const headers: Record<string, string> = {
    "ce-type": envelope.type,
    "ce-source": envelope.source,
    "ce-subject": envelope.subject,
  };
  if (envelope.traceparent) headers["traceparent"] = envelope.traceparent;
  return headers;
}

/** The envelope as the direct transport's protobuf `Event`. */
export function eventToMessage(envelope: EventEnvelope): MessageInitShape<typeof EventSchema> {
  return {
    id: envelope.id,
    type: envelope.type,
    source: envelope.source,
    subject: envelope.subject,
    time: timestampFromDate(envelope.time),
    datacontenttype: envelope.datacontenttype,
    dataschemaVersion: envelope.schemaVersion,
    data: JSON.stringify(envelope.data),
    traceparent: envelope.traceparent,
    position: envelope.position,
  };
}

/** The envelope of the direct transport's protobuf `Event`; throws when its data is not JSON. */
export function eventFromMessage(event: {
  id: string;
  type: string;
  source: string;
  subject: string;
  time?: Parameters<typeof timestampDate>[0];
  dataschemaVersion: number;
  data: string;
  traceparent: string;
  position: bigint;
}): EventEnvelope {
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    subject: event.subject,
    time: event.time ? timestampDate(event.time) : new Date(),
    datacontenttype: "application/json",
    schemaVersion: event.dataschemaVersion,
    data: JSON.parse(event.data) as EventEnvelope["data"],
    traceparent: event.traceparent,
    position: event.position,
  };
}

/**
 * The envelope of a received message, or undefined when it cannot be read. An unreadable event is
 * logged and dropped — `discard` moves the transport past it — because no retry makes it readable,
 * and without an id it can be neither deduplicated nor dead-lettered.
 *
 * @example
 *   const envelope = readEnvelope(() => envelopeFromJson(message.string()), log, { subject }, () => message.term());
 */
export function readEnvelope(
  read: () => EventEnvelope,
  log: Logger,
  fields: Record<string, string>,
  discard?: () => void,
): EventEnvelope | undefined {
  try {
    return read();
  } catch (error) {
    log.error({ err: error, ...fields }, "unreadable event dropped");
    discard?.();
    return undefined;
  }
}
