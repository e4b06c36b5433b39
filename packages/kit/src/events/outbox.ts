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
    async (traceparent) => {
      const [envelope] = await insert(tx, [envelopeFor(source, schema, data, subject, traceparent ?? "")]);
      return envelope!;
    },
  );
}

/** One message for `publishAll`: its schema, its data and the subject it is ordered by. */
export interface OutboxMessage<D extends DescMessage = DescMessage> {
  schema: D;
  data: MessageInitShape<D>;
  subject: string;
}

/** An `OutboxMessage`, typed by its schema: the data must fit it. */
export function outboxMessage<D extends DescMessage>(
  schema: D,
  data: MessageInitShape<D>,
  subject: string,
): OutboxMessage {
  return { schema, data, subject };
}

/**
 * Publishes several events in the caller's transaction with ONE statement, in the order given:
 * what `publish` does one at a time, for a transaction that emits a batch (a saga step).
 *
 * @example
 *   await publishAll(tx, "orders", [
 *     { schema: OrderPlacedSchema, data: placed, subject: orderId },
 *     { schema: ReserveStockSchema, data: reserve, subject: orderId },
 *   ]);
 */
export async function publishAll(
  tx: Tx,
  source: string,
  messages: readonly OutboxMessage[],
): Promise<EventEnvelope[]> {
  if (messages.length === 0) return [];
  const names = messages.map((m) => m.schema.typeName).join(", ");
  return inSpan(`publish ${names}`, SpanKind.PRODUCER, currentContext()?.traceparent, {}, (traceparent) =>
    insert(
      tx,
      messages.map(({ schema, data, subject }) =>
        envelopeFor(source, schema, data, subject, traceparent ?? ""),
      ),
    ),
  );
}

function envelopeFor<D extends DescMessage>(
  source: string,
  schema: D,
  data: MessageInitShape<D>,
  subject: string,
  traceparent: string,
): EventEnvelope {
  return {
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
}

/**
 * Inserts the envelopes and signals the relay in one statement. The NOTIFY is delivered on commit
 * only, like the rows; PostgreSQL folds a transaction's identical notifications into one, so a
 * transaction wakes the relay once however many times it published.
 */
async function insert(tx: Tx, envelopes: readonly EventEnvelope[]): Promise<EventEnvelope[]> {
  const column = <T>(pick: (envelope: EventEnvelope) => T) => envelopes.map(pick);
  await tx.query(
    `WITH inserted AS (
       INSERT INTO outbox (id, type, source, subject, time, data, schema_version, traceparent)
       SELECT id, type, source, subject, time, data, schema_version, traceparent
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[],
                            $7::int[], $8::text[]) WITH ORDINALITY AS m(id, type, source, subject, time, data,
                                                                         schema_version, traceparent, n)
        ORDER BY n
       RETURNING 1)
     SELECT pg_notify($9, '') FROM (SELECT 1 FROM inserted LIMIT 1) one`,
    [
      column((e) => e.id),
      column((e) => e.type),
      column((e) => e.source),
      column((e) => e.subject),
      column((e) => e.time),
      column((e) => JSON.stringify(e.data)),
      column((e) => e.schemaVersion),
      column((e) => e.traceparent),
      outboxChannel,
    ],
  );
  return [...envelopes];
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

/** Rows the relay just positioned, handed to the local direct streams; `from` is the head before them. */
export interface PositionedBatch {
  from: bigint;
  rows: OutboxRow[];
}

/** An outbox row as `json_build_object(handedColumns)` gives it. */
export type HandedRow = Omit<OutboxRow, "time" | "position"> & { time: string; position: string };

export const handedColumns = outboxColumns
  .split(", ")
  .map((column) => (column === "position" ? `'position', position::text` : `'${column}', ${column}`))
  .join(", ");

export function rowOf(row: HandedRow): OutboxRow {
  return { ...row, time: new Date(row.time), position: BigInt(row.position) };
}

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
