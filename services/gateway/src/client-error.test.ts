import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { createLogger } from "@tessera/kit";
import { createClientErrorHandler } from "./client-error.ts";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "./testing/test-app.ts";
import { useTestIssuer } from "./testing/test-issuer.ts";

// These need a real socket: Node's HTTP parser rejects the requests before fastify (or inject) sees them.
const issuer = useTestIssuer();
let test: TestApp;
let base: string;

beforeAll(async () => {
  test = await buildTestApp({ issuer });
  base = await test.app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(() => test.app.close());

async function expectHealthy() {
  const response = await fetch(`${base}/api/v1/products`);
  expect(response.status).toBe(200);
}

/** Writes raw bytes on a new connection and reads everything the server sends until it closes. */
async function rawExchange(request: string): Promise<string> {
  const { port } = new URL(base);
  const socket = connect(Number(port), "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {});
  await once(socket, "connect");
  socket.write(request);
  await once(socket, "close");
  return Buffer.concat(chunks).toString("utf8");
}

// A URL of 100 KiB overflows the 16 KiB limit inside its own request line whatever the TCP chunking
// (a read is at most 64 KiB), so the answer is always 414, never 431.
describe("requests the HTTP parser rejects", () => {
  it("answers a 100 kB query string with a 414 problem, and keeps serving", async () => {
    const response = await fetch(`${base}/api/v1/products?q=tent&pad=${"x".repeat(100 * 1024)}`);
    expect(response.status).toBe(414);
    expect(response.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    const requestId = response.headers.get("x-request-id");
    expect(await response.json()).toEqual({
      type: "urn:tessera:problem:uri-too-long",
      title: "URI Too Long",
      status: 414,
      detail: expect.stringContaining("16 KiB") as string,
      requestId,
    });
    await expectHealthy();
  });

  it("answers oversized headers with a 431 problem", async () => {
    const response = await fetch(`${base}/api/v1/products`, { headers: { "x-filler": "y".repeat(20_000) } });
    expect(response.status).toBe(431);
    expect(await response.json()).toMatchObject({
      type: "urn:tessera:problem:request-header-fields-too-large",
      status: 431,
      title: "Request Header Fields Too Large",
    });
    await expectHealthy();
  });

  it("answers bytes that are not HTTP with a 400 problem and closes the connection", async () => {
    const reply = await rawExchange("HELLO\x00 THERE\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply).toContain("content-type: application/problem+json; charset=utf-8");
    expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4))).toMatchObject({
      type: "urn:tessera:problem:invalid-argument",
      status: 400,
    });
    await expectHealthy();
  });

  it("answers a client that keeps sending once, then closes its connection", async () => {
    const reply = await rawExchange(
      `GET /api/v1/products?pad=${"z".repeat(300_000)} HTTP/1.1\r\nhost: x\r\n\r\n`,
    );
    expect(reply.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(reply).toMatch(/^HTTP\/1\.1 414 URI Too Long\r\n/);
  });

  it("survives many oversized requests at once", async () => {
    const statuses = await Promise.all(
      Array.from({ length: 25 }, () =>
        fetch(`${base}/api/v1/products?pad=${"x".repeat(100 * 1024)}`).then((r) => r.status),
      ),
    );
    expect(new Set(statuses)).toEqual(new Set([414]));
    await expectHealthy();
  });
});

describe("the client error handler", () => {
  it("answers a request not received in time with a 408 problem and closes the connection", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const accepted = once(server, "connection") as Promise<[Socket]>;
      const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
      const chunks: Buffer[] = [];
      client.on("data", (chunk: Buffer) => chunks.push(chunk));
      const [socket] = await accepted;
      const handle = createClientErrorHandler({
        log: createLogger({ service: "test", level: "silent" }),
        metrics: test.metrics,
      });
      handle(Object.assign(new Error("Request timeout"), { code: "ERR_HTTP_REQUEST_TIMEOUT" }), socket);
      await once(client, "end");
      const reply = Buffer.concat(chunks).toString("utf8");
      client.destroy();
      expect(reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4))).toMatchObject({
        type: "urn:tessera:problem:request-timeout",
        status: 408,
      });
    } finally {
      server.close();
    }
  });
});

describe("a client that half-closes once its request is sent", () => {
  it("still gets its answer, for a signed-in route whose token check and RPC take time", async () => {
    const { port } = new URL(base);
    const socket = connect(Number(port), "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    await once(socket, "connect");
    const { authorization } = await issuer.bearer("alice");
    // end(): the request, then FIN — legal in HTTP/1.1, and what some clients and proxies do.
    socket.end(`GET /api/v1/cart HTTP/1.1\r\nhost: x\r\nauthorization: ${authorization}\r\n\r\n`);
    await once(socket, "close");
    expect(Buffer.concat(chunks).toString("utf8")).toMatch(/^HTTP\/1\.1 200 /);
  });
});
