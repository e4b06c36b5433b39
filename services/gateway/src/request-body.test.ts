import zlib from "node:zlib";
import type { Transform } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { waitFor } from "@tessera/kit/testing";
import { appPerTest, type TestApp } from "./testing/test-app.ts";
import { alice } from "./testing/users.ts";

const tent = "01970000-0000-7000-8000-000000000001";
const line = Buffer.from(JSON.stringify({ productId: tent, quantity: 2 }));

const start = appPerTest();
afterEach(() => vi.restoreAllMocks());

async function json(test: TestApp) {
  return { ...(await test.bearer(alice)), "content-type": "application/json" };
}

const addItem = async (test: TestApp, payload: Buffer | string, headers: Record<string, string> = {}) =>
  test.app.inject({
    method: "POST",
    url: "/api/v1/cart/items",
    headers: { ...(await json(test)), ...headers },
    payload,
  });

describe("request bodies", () => {
  it.each([
    ["DELETE", "/api/v1/cart"],
    ["DELETE", `/api/v1/cart/items/${tent}`],
    ["POST", "/api/v1/orders/01970000-0000-7000-8000-0000000000ff/cancel"],
  ] as const)(
    "accepts %s %s, which takes no body, with Content-Type: application/json and an empty body",
    async (method, url) => {
      const test = await start();
      const response = await test.app.inject({ method, url, headers: await json(test), payload: "" });
      expect(response.statusCode).not.toBe(400);
      expect(response.statusCode).toBeLessThan(500);
    },
  );

  it("still refuses an empty JSON body where the operation takes one", async () => {
    const test = await start();
    const response = await addItem(test, "");
    expect(response.statusCode).toBe(400);
  });

  it.each([
    ["gzip", zlib.gzipSync(line)],
    ["deflate", zlib.deflateSync(line)],
    ["br", zlib.brotliCompressSync(line)],
  ])("reads a %s body as the JSON it encodes", async (encoding, payload) => {
    const test = await start();
    const response = await addItem(test, payload, { "content-encoding": encoding });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ items: [{ productId: tent, quantity: 2 }] });
  });

  it.each(["zstd", "compress", "gzip, br", "x-unknown"])(
    "answers a body in the %s coding with 415 naming the codings it takes",
    async (encoding) => {
      const test = await start();
      const response = await addItem(test, line, { "content-encoding": encoding });
      expect(response.statusCode).toBe(415);
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        status: 415,
        detail: expect.stringContaining("gzip, deflate, br"),
      });
      expect(test.cart.calls).toEqual([]);
    },
  );

  it("answers a body that says gzip but is not with 400", async () => {
    const test = await start();
    const response = await addItem(test, line, { "content-encoding": "gzip" });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ detail: "The body is not valid gzip data." });
  });

  it("answers a gzip bomb with 413 and stops decoding it at the body limit", async () => {
    const test = await start();
    // 15 MiB of spaces compress to under the 16 KiB limit; decoded, they are a thousand times over.
    const bomb = zlib.gzipSync(Buffer.alloc(15 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(16 * 1024);
    const decoders: Transform[] = [];
    let decoded = 0;
    const createGunzip = zlib.createGunzip;
    vi.spyOn(zlib, "createGunzip").mockImplementation((options) => {
      const decoder = createGunzip(options);
      decoder.on("data", (chunk: Buffer) => (decoded += chunk.length));
      decoders.push(decoder);
      return decoder;
    });
    const response = await addItem(test, bomb, { "content-encoding": "gzip" });
    expect(response.statusCode).toBe(413);
    const [decoder] = decoders;
    expect(decoder).toBeDefined();
    await waitFor(
      "the decoder to stop",
      () => Promise.resolve(decoder!.destroyed || decoder!.readableEnded),
      10_000,
    );
    // A few of zlib's 16 KiB chunks past the limit at most, never the bomb's 15 MiB.
    expect(decoded).toBeLessThan(1024 * 1024);
    expect(response.json()).toMatchObject({ status: 413, detail: expect.stringMatching(/once decoded/) });
    expect(test.cart.calls).toEqual([]);
  });

  it("refuses a body whose bytes are not UTF-8, rather than reading them as U+FFFD", async () => {
    const test = await start();
    const payload = Buffer.concat([
      Buffer.from('{"cardToken":"tok_'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    const response = await test.app.inject({
      method: "POST",
      url: "/api/v1/checkout",
      headers: { ...(await json(test)), "idempotency-key": "k1" },
      payload,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ detail: "The body is not valid UTF-8." });
    expect(test.orders.calls).toEqual([]);
  });
});
