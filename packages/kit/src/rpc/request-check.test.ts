import { create, toBinary } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { Client as GrpcClient, credentials, Metadata, status as GrpcStatus } from "@grpc/grpc-js";
import { CatalogService, ListProductsRequestSchema } from "@tessera/contracts/catalog/v1";
import { EchoService } from "@tessera/contracts/testing/v1";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { createMetrics } from "../metrics.ts";
import { createClient } from "./client.ts";
import { checkRequest } from "./request-check.ts";
import { createRpcServer, type RpcServer, type ServiceImpl } from "./server.ts";

// A catalog and an echo server whose handlers only record what reached them: the check runs
// before any handler, so a refused request must leave no trace here.
const seen: unknown[] = [];
const record = (request: unknown) => {
  seen.push(request);
  return {};
};
const catalogStub: ServiceImpl<typeof CatalogService> = {
  listProducts: record,
  listCategories: record,
  getProduct: record,
  batchGetProducts: record,
  searchProducts: record,
  createProduct: record,
  updateProductPrice: record,
};
const echoStub: ServiceImpl<typeof EchoService> = {
  echo: (request) => ({ message: request.message }),
  echoOnce: (request) => ({ message: request.message }),
  echoStream(request) {
    seen.push(request);
    return Readable.from([{ message: request.message, index: 0 }]);
  },
};

let rpc: RpcServer;
let address: string;
let catalog: ReturnType<typeof createClient<typeof CatalogService>>;
let echo: ReturnType<typeof createClient<typeof EchoService>>;

beforeAll(async () => {
  rpc = createRpcServer({
    log: createLogger({ service: "test", level: "silent" }),
    metrics: createMetrics("test"),
  });
  rpc.add(CatalogService, catalogStub);
  rpc.add(EchoService, echoStub);
  address = `127.0.0.1:${await rpc.listen("127.0.0.1:0")}`;
  catalog = createClient(CatalogService, address, { maxAttempts: 1 });
  echo = createClient(EchoService, address, { maxAttempts: 1 });
});
afterAll(async () => {
  catalog.close();
  echo.close();
  await rpc.close(100);
});

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  const before = seen.length;
  const error = await call.then(
    () => new Error("the call succeeded"),
    (error: unknown) => error,
  );
  expect(seen.length, "the handler ran").toBe(before);
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

const product = { sku: "TENT", name: "Tent", price: { currencyCode: "USD", amountMinor: 100n } };

describe("the RPC server's check of every string in a request", () => {
  it.each([
    ["a top-level field", () => catalog.listProducts({ category: "a\u0000b" }), /^category contains U\+0000/],
    [
      "a field of a nested message",
      () => catalog.createProduct({ ...product, price: { currencyCode: "US\u0007", amountMinor: 1n } }),
      /^price\.currency_code contains U\+0007, a control character/,
    ],
    [
      "an element of a repeated field",
      () => catalog.createProduct({ ...product, categories: ["tents", "x\u007f"] }),
      /^categories\[1\] contains U\+007F/,
    ],
    [
      "a value of a map",
      () => catalog.createProduct({ ...product, attributes: { color: "red\u001b" } }),
      /^attributes\["color"\] contains U\+001B/,
    ],
    [
      "a key of a map",
      () => catalog.createProduct({ ...product, attributes: { "col\u0085or": "red" } }),
      /^attributes key contains U\+0085/,
    ],
    [
      "a server-streaming request",
      async () => {
        for await (const _ of echo.echoStream({ message: "\u0000", count: 1 }));
      },
      /^message/,
    ],
  ])(
    "refuses a NUL or other control character in %s as invalid_argument naming it",
    async (_, call, message) => {
      const error = await refusal(call());
      expect(error.code).toBe("invalid_argument");
      expect(error.message).toMatch(message);
      expect(error.message).toContain("other than tab, line feed and carriage return");
    },
  );

  it("lets tab, line feed, emoji and right-to-left text through to the handler", async () => {
    const category = "tents\tand\r\nmore 😀 \u202eשלום\u200b";
    await catalog.listProducts({ category });
    expect(seen.at(-1)).toMatchObject({ category });
  });

  it("answers bytes that are not valid UTF-8 with invalid_argument, not internal", async () => {
    const raw = new GrpcClient(address, credentials.createInsecure());
    const send = (bytes: Buffer) =>
      new Promise<{ code: number; details: string }>((resolve) =>
        raw.makeUnaryRequest(
          "/tessera.catalog.v1.CatalogService/ListProducts",
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new Metadata(),
          (error) => resolve(error ? { code: error.code, details: error.details } : { code: 0, details: "" }),
        ),
      );
    try {
      // ListProductsRequest { category (3) = 0xFF 0xFE }: a string field holding bytes UTF-8 forbids.
      const invalidUtf8 = await send(Buffer.from([0x1a, 0x02, 0xff, 0xfe]));
      expect(invalidUtf8.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(invalidUtf8.details).toMatch(/not a valid tessera\.catalog\.v1\.ListProductsRequest/);
      // A length that runs past the end of the message.
      const truncated = await send(Buffer.from([0x1a, 0x7f, 0x61]));
      expect(truncated.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      const valid = await send(
        Buffer.from(toBinary(ListProductsRequestSchema, create(ListProductsRequestSchema))),
      );
      expect(valid.code).toBe(GrpcStatus.OK);
    } finally {
      raw.close();
    }
  });

  it("walks oneofs and maps of messages, naming the path by the proto's field names", () => {
    const struct = create(StructSchema, {
      fields: {
        a: {
          kind: {
            case: "listValue",
            value: { values: [{ kind: { case: "stringValue", value: "\u0000" } }] },
          },
        },
      },
    });
    expect(() => checkRequest(StructSchema, struct)).toThrowError(
      /^fields\["a"\]\.list_value\.values\[0\]\.string_value contains U\+0000/,
    );
  });
});
