import { create } from "@bufbuild/protobuf";
import { EventSchema } from "@tessera/contracts/events/v1";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { cloudEventHeaders, eventFromMessage, eventToMessage, readEnvelope } from "./cloudevents.ts";
import { envelopeFromJson, type EventEnvelope } from "./envelope.ts";

const envelope: EventEnvelope = envelopeFromJson(
  JSON.stringify({
    id: "01890a5d-ac96-774b-bcce-b302099a8057",
    type: "tessera.catalog.v1.ProductChanged",
    source: "catalog",
    subject: "product-42",
    time: "2025-01-02T03:04:05.678Z",
    data: { productId: "product-42" },
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    position: "17",
  }),
);

function recordingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: "cloudevents-test",
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines };
}

describe("an event on the wire", () => {
  it("carries its CloudEvents attributes and trace context as broker headers", () => {
    expect(cloudEventHeaders(envelope)).toEqual({
      "ce-type": "tessera.catalog.v1.ProductChanged",
      "ce-source": "catalog",
      "ce-subject": "product-42",
      traceparent: envelope.traceparent,
    });
    expect(cloudEventHeaders({ ...envelope, traceparent: "" })).not.toHaveProperty("traceparent");
  });

  it("comes back whole from the direct transport's Event message", () => {
    expect(eventFromMessage(create(EventSchema, eventToMessage(envelope)))).toEqual(envelope);
  });

  it("is dropped when unreadable, logged, and the transport told to move past it", () => {
    const { log, lines } = recordingLog();
    let discarded = 0;
    const read = readEnvelope(
      () => envelopeFromJson("not json"),
      log,
      { subject: "x" },
      () => discarded++,
    );
    expect(read).toBeUndefined();
    expect(discarded).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ message: "unreadable event dropped", subject: "x" })]);
  });

  it("is read as is when readable, and nothing is discarded", () => {
    const { log, lines } = recordingLog();
    const read = readEnvelope(
      () => envelope,
      log,
      {},
      () => expect.unreachable(),
    );
    expect(read).toBe(envelope);
    expect(lines).toEqual([]);
  });
});
