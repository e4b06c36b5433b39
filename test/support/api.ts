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
