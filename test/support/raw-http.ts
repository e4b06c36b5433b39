import { connect } from "node:net";

export interface RawReply {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Sends one HTTP/1.1 request over a plain socket, header bytes exactly as given — what fetch and
 * node:http refuse to send (control characters in a header) — and reads the reply until the server
 * closes (the request asks it to).
 */
export function rawRequest(
  port: number,
  {
    method,
    url,
    headers,
    body = Buffer.alloc(0),
  }: { method: string; url: string; headers: [string, Buffer][]; body?: Buffer },
  timeoutMs = 10_000,
): Promise<RawReply> {
  const head = Buffer.concat([
    Buffer.from(
      `${method} ${url} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\ncontent-length: ${body.length}\r\n`,
    ),
    ...headers.map(([name, value]) => Buffer.concat([Buffer.from(`${name}: `), value, Buffer.from("\r\n")])),
    Buffer.from("\r\n"),
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      // A server that answered and then cut the connection still answered.
      if (chunks.length > 0) resolve(parse(Buffer.concat(chunks)));
      else reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(parse(Buffer.concat(chunks)));
    });
    socket.end(Buffer.concat([head, body]));
  });
}

function parse(reply: Buffer): RawReply {
  const text = reply.toString("utf8");
  const [head = "", body = ""] = text.split("\r\n\r\n", 2);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const contentType = /^content-type: *(.*)$/im.exec(head)?.[1]?.trim() ?? "";
  return { status, contentType, body };
}
