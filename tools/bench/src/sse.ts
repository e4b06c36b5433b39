/** One Server-Sent Event: its `event` name (default "message"), `id` and `data` lines joined. */
export interface ServerSentEvent {
  event: string;
  id: string;
  data: string;
}

/**
 * The events of a `text/event-stream` body, as the HTML standard's parser reads them (fields
 * `event`, `data`, `id`; comments and `retry` skipped), without a dependency: the bench's clients
 * follow orders over `GET /api/v1/orders/{id}/events` with fetch.
 */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event: ServerSentEvent = { event: "message", id: "", data: "" };
  let hasData = false;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        if (hasData) yield { ...event, data: event.data.replace(/\n$/, "") };
        event = { event: "message", id: event.id, data: "" };
        hasData = false;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event.event = value;
      else if (field === "id") event.id = value;
      else if (field === "data") {
        event.data += `${value}\n`;
        hasData = true;
      }
    }
  }
}
