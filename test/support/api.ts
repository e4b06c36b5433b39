import { EventSourceParserStream } from "eventsource-parser/stream";
import { bearer } from "./tokens.ts";

/** A small HTTP client for the gateway in system tests: JSON in and out, the user signed in through identity. */
export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

export function gatewayClient(baseUrl: string) {
  return async function call<T>(
    method: string,
    path: string,
    { user, body, headers = {} }: { user?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(user ? await bearer(baseUrl, user) : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  };
}

/**
 * The data of the Server-Sent Events named `event` at `path` (JSON), as the signed-in `user`, until
 * the stream ends or `signal` aborts; a refusal throws with the status and problem.
 */
export function gatewayEvents(baseUrl: string) {
  return async function* events<T>(
    path: string,
    { user, event, signal }: { user: string; event: string; signal?: AbortSignal },
  ): AsyncGenerator<T> {
    const response = await fetch(new URL(path, baseUrl), {
      headers: { accept: "text/event-stream", ...(await bearer(baseUrl, user)) },
      signal,
    });
    if (response.status !== 200 || !response.body)
      throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
    const stream = response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream());
    for await (const message of stream) if (message.event === event) yield JSON.parse(message.data) as T;
  };
}
