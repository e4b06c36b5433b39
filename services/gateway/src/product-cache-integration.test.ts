import { CatalogService } from "@tessera/contracts/catalog/v1";
import { EventsService } from "@tessera/contracts/events/v1";
import { createLogger, loadConfig, type Client } from "@tessera/kit";
import {
  createTestDatabase,
  startRpcService,
  testCallers,
  testClient,
  testIssuer,
  type RpcServiceProcess,
  type TestDatabase,
} from "@tessera/kit/testing";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayConfig } from "./config.ts";
import { productCacheOf, type ProductCache } from "./product-cache.ts";
import { buildTestApp, type TestApp } from "./testing/test-app.ts";
import { useTestIssuer } from "./testing/test-issuer.ts";

// A changed price through the gateway's cache, against the real catalog on each event transport.

const natsUrl = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const natsUp = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(natsUrl);
  const socket = connect(Number(port), hostname, () => (socket.destroy(), resolve(true)));
  socket.on("error", () => resolve(false));
});
const issuer = useTestIssuer();

describe.each([
  ["direct", true],
  ["nats", natsUp],
] as const)("the product cache over %s", (transport, available) => {
  let database: TestDatabase | undefined;
  let catalogProcess: RpcServiceProcess | undefined;
  let admin: Client<typeof CatalogService>;
  let events: Client<typeof EventsService>;
  let productCache: ProductCache | undefined;
  let test: TestApp | undefined;
  const env = { EVENTS_TRANSPORT: transport, NATS_URL: natsUrl, EVENTS_PREFIX: `gwcache${Date.now() % 1e6}` };

  beforeAll(async () => {
    if (!available) return;
    database = await createTestDatabase("gateway_cache");
    catalogProcess = await startRpcService(new URL("../../catalog/src/main.ts", import.meta.url), {
      ...(await testIssuer()).env,
      ...env,
      DATABASE_URL: database.url,
    });
    admin = testClient(CatalogService, catalogProcess.address, testCallers.operator);
    events = testClient(EventsService, catalogProcess.address, testCallers.service);
    const log = createLogger({ service: "gateway", level: "silent" });
    productCache = productCacheOf(loadConfig(GatewayConfig, env), { log, catalogEvents: () => events });
    test = await buildTestApp({ catalog: admin, productCache, issuer });
  });

  afterAll(async () => {
    await test?.app.close();
    await productCache?.stop();
    admin?.close();
    events?.close();
    await catalogProcess?.kill("SIGKILL");
    await database?.drop();
  });

  it.runIf(available)("shows a changed price through the gateway soon after its commit", async () => {
    const { products } = await admin.listProducts({ pageSize: 1 });
    const id = products[0]!.id;
    const url = `/api/v1/products/${id}`;
    const priceOf = async () =>
      (await test!.app.inject({ url })).json<{ price: { amountMinor: number } }>().price.amountMinor;
    // Until the tail is up nothing is kept; once an answer stays cached, changes are being followed.
    for (let tries = 0; productCache!.get("product", id) === undefined; tries++) {
      if (tries > 3_000) throw new Error("the cache never kept an answer");
      await priceOf();
      await sleep(10);
    }
    const listed = "/api/v1/products?page_size=5";
    await test!.app.inject({ url: listed });
    const next = BigInt((await priceOf()) + 1);

    await admin.updateProductPrice({ id, price: { currencyCode: "USD", amountMinor: next } });
    const committed = performance.now();
    let seen = await priceOf();
    while (seen !== Number(next) && performance.now() - committed < 5_000) {
      await sleep(1);
      seen = await priceOf();
    }
    const delayMs = performance.now() - committed;
    console.log(
      `product cache over ${transport}: changed price visible ${delayMs.toFixed(1)} ms after commit`,
    );
    expect(seen).toBe(Number(next));
    // The target is 100 ms (the bench reports it); a busy test machine gets a generous bound.
    expect(delayMs).toBeLessThan(2_000);
    expect(productCache!.get("page", listed)).toBeUndefined();
  });
});
