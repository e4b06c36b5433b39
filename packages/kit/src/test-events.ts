import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import type { EventEnvelope, ReceivedEvent } from "./events/envelope.ts";
import type { Db } from "./db.ts";
import { newId } from "./ids.ts";

/** A fresh envelope of an event of `type` about `subject`, as a subscription handler receives it. */
export function testEnvelope(type: string, subject: string, source = "test"): EventEnvelope {
  return {
    id: newId(),
    type,
    source,
    subject,
    time: new Date(),
    datacontenttype: "application/json",
    schemaVersion: 1,
    data: {},
    traceparent: "",
    position: 0n,
  };
}

/**
 * An event as a subscription handler receives it, for handing to the handler in a test.
 *
 * @example
 *   await db.tx((tx) => handle(receivedEvent(ReserveStockSchema, { orderId, lines }, orderId), tx));
 */
export function receivedEvent<D extends DescMessage>(
  schema: D,
  data: MessageInitShape<D>,
  subject: string,
): ReceivedEvent<D> {
  return { envelope: testEnvelope(schema.typeName, subject), data: create(schema, data) };
}

/** The events a service published about `subject` (its outbox), oldest first, by short type name. */
export async function publishedAbout(
  db: Db,
  subject: string,
): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const { rows } = await db.query<{ type: string; data: Record<string, unknown> }>(
    "SELECT type, data FROM outbox WHERE subject = $1 ORDER BY id_seq",
    [subject],
  );
  return rows.map((row) => ({ type: row.type.slice(row.type.lastIndexOf(".") + 1), data: row.data }));
}
