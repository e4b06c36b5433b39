import { CartService } from "@tessera/contracts/cart/v1";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { newId } from "@tessera/kit";
import {
  createTestDatabase,
  type TestDatabase,
  freePort,
  startRpcService,
  startService,
  type RpcServiceProcess,
  type ServiceProcess,
  testCallers,
  testClient,
  testIssuer,
} from "@tessera/kit/testing";
import { Redis } from "ioredis";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const redisUrl = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";

describe("the cart process (main.ts) in infrastructure mode", () => {
  const prefix = `test:cart:${newId()}:`;
  const databases: TestDatabase[] = [];
  let catalogProcess: RpcServiceProcess;
  let cartProcess: ServiceProcess;
  let cartAddress: string;
  let redis: Redis;

  beforeAll(async () => {
    const [catalogDatabase, cartDatabase] = await Promise.all([
      createTestDatabase("cart_main_catalog"),
      createTestDatabase("cart_main"),
    ]);
    databases.push(catalogDatabase, cartDatabase);
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const auth = (await testIssuer()).env;
    catalogProcess = await startRpcService(new URL("../../catalog/src/main.ts", import.meta.url), {
      ...auth,
      DATABASE_URL: catalogDatabase.url,
    });
    const grpcPort = await freePort();
    cartProcess = await startService(new URL("./main.ts", import.meta.url), {
      ...auth,
      DATABASE_URL: cartDatabase.url,
      CATALOG_ADDR: catalogProcess.address,
      REDIS_URL: redisUrl,
      CART_REDIS_PREFIX: prefix,
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: String(grpcPort),
    });
    cartAddress = `127.0.0.1:${grpcPort}`;
  });

  afterAll(async () => {
    await cartProcess?.kill();
    await catalogProcess?.kill();
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*` })) keys.push(...(batch as string[]));
    if (keys.length > 0) await redis.del(...keys);
    await redis?.quit();
    await Promise.all(databases.map((database) => database.drop()));
  });

  it("keeps carts in Redis with a 30-day time to live when REDIS_URL is set", async () => {
    const user = newId();
    const catalog = testClient(CatalogService, catalogProcess.address, testCallers.customer(user));
    const cart = testClient(CartService, cartAddress, testCallers.customer(user));
    try {
      const product = (await catalog.listProducts({ pageSize: 1 })).products[0]!;
      const { cart: added } = await cart.addItem({ userId: user, productId: product.id, quantity: 2 });
      expect(added?.subtotal?.amountMinor).toBe(2n * product.price!.amountMinor);
      expect(Object.keys(await redis.hgetall(`${prefix}${user}`)).sort()).toEqual(
        ["cart_id", product.id].sort(),
      );
      expect(await redis.pttl(`${prefix}${user}`)).toBeGreaterThan(29 * 86_400_000);
    } finally {
      cart.close();
      catalog.close();
    }
  });

  it("reports Redis in its readiness", async () => {
    const response = await fetch(`http://127.0.0.1:${cartProcess.opsPort}/readyz`);
    expect(await response.json()).toMatchObject({
      ready: true,
      checks: { database: true, migrations: true, redis: true },
    });
  });

  it("refuses to start on a bad REDIS_URL, naming the variable", () => {
    const main = fileURLToPath(new URL("./main.ts", import.meta.url));
    const result = spawnSync(process.execPath, [main], {
      env: { ...process.env, DATABASE_URL: databases[1]!.url, REDIS_URL: "http://redis:6379" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
  });
});
