import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { currentContext } from "../context.ts";
import { inSpan, SpanKind } from "../tracing.ts";
import type { Tx } from "../db.ts";
import { newId } from "../ids.ts";
import { encodeData, schemaVersion, type EventEnvelope } from "./envelope.ts";

/** NOTIFY channel: an outbox row was committed (the relay wakes). */
export const outboxChannel = "tessera_outbox";
/** NOTIFY channel: the relay assigned positions (direct streams wake). */
export const positionedChannel = "tessera_outbox_positioned";

/**
 * Publishes an event by inserting it into the outbox inside the caller's transaction: it is
 * delivered if and only if that transaction commits. The data is validated against its schema
 * first; the current trace context rides along in `traceparent`.
 *
 * @example
 *   await db.tx(async (tx) => {
 *     await store.updatePrice(tx, id, price);
 *     await publish(tx, "catalog", ProductChangedSchema, { productId: id, price }, { subject: id });
 *   });
 */
export async function publish<D extends DescMessage>(
  tx: Tx,
  source: string,
  schema: D,
  data: MessageInitShape<D>,
  { subject }: { subject: string },
): Promise<EventEnvelope> {
  return inSpan(
    `publish ${schema.typeName}`,
    SpanKind.PRODUCER,
    currentContext()?.traceparent,
    {},
    (traceparent) => insert(tx, source, schema, data, subject, traceparent ?? ""),
  );
}

async function insert<D extends DescMessage>(
  tx: Tx,
  source: string,
  schema: D,
  data: MessageInitShape<D>,
  subject: string,
  traceparent: string,
): Promise<EventEnvelope> {
  const envelope: EventEnvelope = {
    id: newId(),
    type: schema.typeName,
    source,
    subject,
    time: new Date(),
    datacontenttype: "application/json",
    schemaVersion: schemaVersion(schema.typeName),
    data: encodeData(schema, data),
    traceparent,
    position: 0n,
  };
  await tx.query(
    `INSERT INTO outbox (id, type, source, subject, time, data, schema_version, traceparent)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      envelope.id,
      envelope.type,
      envelope.source,
      envelope.subject,
      envelope.time,
      JSON.stringify(envelope.data),
      envelope.schemaVersion,
      envelope.traceparent,
    ],
  );
  // Delivered on commit only, like the row itself.
  await tx.query(`SELECT pg_notify($1, '')`, [outboxChannel]);
  return envelope;
}

export interface OutboxRow {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: Date;
  data: EventEnvelope["data"];
  schema_version: number;
  traceparent: string;
  position: bigint | null;
}

export const outboxColumns = "id, type, source, subject, time, data, schema_version, traceparent, position";

export function envelopeOf(row: OutboxRow): EventEnvelope {
  return {
    id: row.id,
    type: row.type,
    source: row.source,
    subject: row.subject,
    time: row.time,
    datacontenttype: "application/json",
    schemaVersion: row.schema_version,
    data: row.data,
    traceparent: row.traceparent,
    position: row.position ?? 0n,
  };
}
