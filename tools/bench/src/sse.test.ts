import { describe, expect, it } from "vitest";
import { serverSentEvents } from "./sse.ts";

const bodyOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });

describe("serverSentEvents", () => {
  it("reads events split across chunks, skipping comments and retry", async () => {
    const events = [];
    for await (const event of serverSentEvents(
      bodyOf(
        "retry: 1000\n\n: heartbeat\n\nevent: order\nid: 1\nda",
        'ta: {"a":1}\n\n',
        "data: x\r\ndata: y\r\n\r\n",
      ),
    ))
      events.push(event);
    expect(events).toEqual([
      { event: "order", id: "1", data: '{"a":1}' },
      { event: "message", id: "1", data: "x\ny" },
    ]);
  });
});
