// Test support (imported by tests only): events as the inventory's handlers receive and publish them.
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { newId, type Db, type EventEnvelope, type ReceivedEvent } from "@tessera/kit";

/** An event as a subscription handler receives it. */
export function received<D extends DescMessage>(
  schema: D,
  data: MessageInitShape<D>,
  subject: string,
): ReceivedEvent<D> {
  const envelope: EventEnvelope = {
    id: newId(),
    type: schema.typeName,
    source: "test",
    subject,
    time: new Date(),
    datacontenttype: "application/json",
    schemaVersion: 1,
    data: {},
    traceparent: "",
    position: 0n,
  };
  return { envelope, data: create(schema, data) };
}

/** The events the inventory published about `subject`, oldest first, by short type name. */
export async function publishedAbout(db: Db, subject: string): Promise<{ type: string; data: unknown }[]> {
  const { rows } = await db.query<{ type: string; data: unknown }>(
    "SELECT type, data FROM outbox WHERE subject = $1 ORDER BY id_seq",
    [subject],
  );
  return rows.map((row) => ({ type: row.type.slice(row.type.lastIndexOf(".") + 1), data: row.data }));
}
