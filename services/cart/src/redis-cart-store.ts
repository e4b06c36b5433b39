import type { Redis } from "ioredis";
import { setTimeout as sleep } from "node:timers/promises";
import { createBackoff, newId, ServiceError, z, type Tx } from "@tessera/kit";
import { byAddedAt, type CartLine } from "./cart-rules.ts";
import { emptyCart, type CartChange, type CartStore, type StoredCart } from "./cart-store.ts";

// Compare-and-set of a whole cart: replaces hash KEYS[1] by the new lines only while it still holds
// exactly the lines the caller read, then restarts its expiry. Domain rules stay in TypeScript and
// concurrent changes are never lost: a changed cart answers 0 and the caller reads again.
// ARGV: TTL in ms, n, the n field/value pairs read, then the new field/value pairs.
const replaceIfUnchanged = `
local n = tonumber(ARGV[2])
local current = redis.call('HGETALL', KEYS[1])
if #current ~= 2 * n then return 0 end
local read = {}
for i = 3, 2 + 2 * n, 2 do read[ARGV[i]] = ARGV[i + 1] end
for i = 1, #current, 2 do
  if read[current[i]] ~= current[i + 1] then return 0 end
end
redis.call('DEL', KEYS[1])
local first = 3 + 2 * n
if #ARGV >= first then
  redis.call('HSET', KEYS[1], unpack(ARGV, first, #ARGV))
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1
`;

type CartRedis = Redis & {
  cartReplaceIfUnchanged(key: string, ...args: (string | number)[]): Promise<number>;
};

/** A line as stored: the hash field is the product id, the value this JSON. */
const StoredLine = z.object({
  sku: z.string(),
  name: z.string(),
  quantity: z.number().int(),
  unitPriceMinor: z.string().regex(/^\d+$/),
  currency: z.string(),
  addedAt: z.iso.datetime(),
});

const encode = (line: CartLine): string =>
  JSON.stringify({
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unitPriceMinor: line.unitPriceMinor.toString(),
    currency: line.currency,
    addedAt: line.addedAt.toISOString(),
  } satisfies z.input<typeof StoredLine>);

function decode(productId: string, value: string): CartLine {
  const stored = StoredLine.parse(JSON.parse(value));
  return {
    productId,
    sku: stored.sku,
    name: stored.name,
    quantity: stored.quantity,
    unitPriceMinor: BigInt(stored.unitPriceMinor),
    currency: stored.currency,
    addedAt: new Date(stored.addedAt),
  };
}

// One user's cart rarely sees concurrent changes; the kit's jittered backoff lets a burst of them line up.
const maxAttempts = 20;
const conflictBackoff = { initialMs: 5, maxMs: 50 };

/** The hash field holding the cart's id; every other field is a product id (a UUID). */
const idField = "cart_id";

/**
 * Carts in Redis (infrastructure mode): one hash per user, `<prefix><user id>`, expiring after
 * `ttlMs`; a field per product, and `cart_id`.
 */
export class RedisCartStore implements CartStore {
  readonly #redis: CartRedis;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, { prefix, ttlMs }: { prefix: string; ttlMs: number }) {
    redis.defineCommand("cartReplaceIfUnchanged", { lua: replaceIfUnchanged, numberOfKeys: 1 });
    this.#redis = redis as CartRedis;
    this.#prefix = prefix;
    this.#ttlMs = ttlMs;
  }

  async get(userId: string): Promise<StoredCart> {
    const stored = await this.#call(() => this.#redis.hgetall(this.#key(userId)));
    return decodeCart(stored);
  }

  // Redis cannot join a PostgreSQL transaction: the change is atomic on its own.
  async update(userId: string, change: CartChange, _tx?: Tx): Promise<StoredCart> {
    const key = this.#key(userId);
    const backoff = createBackoff(conflictBackoff);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const stored = await this.#call(() => this.#redis.hgetall(key));
      const result = change(decodeCart(stored));
      const next: StoredCart =
        result.lines.length === 0
          ? emptyCart
          : { id: result.id || newId(), lines: [...result.lines].sort(byAddedAt) };
      const read = Object.entries(stored).flat();
      const written =
        next.lines.length === 0
          ? []
          : [idField, next.id, ...next.lines.flatMap((line) => [line.productId, encode(line)])];
      const replaced = await this.#call(() =>
        this.#redis.cartReplaceIfUnchanged(key, this.#ttlMs, read.length / 2, ...read, ...written),
      );
      if (replaced === 1) return next;
      await sleep(backoff.next());
    }
    throw new ServiceError("aborted", "the cart kept changing while it was being updated; try again", {
      reason: "concurrent-change",
    });
  }

  async clear(userId: string, _tx?: Tx): Promise<void> {
    await this.#call(() => this.#redis.del(this.#key(userId)));
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.#redis.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #key(userId: string): string {
    return this.#prefix + userId;
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new ServiceError("unavailable", "the cart storage is unavailable; try again", { cause: error });
    }
  }
}

function decodeCart(stored: Record<string, string>): StoredCart {
  const { [idField]: id, ...lines } = stored;
  const decoded = Object.entries(lines)
    .map(([productId, value]) => decode(productId, value))
    .sort(byAddedAt);
  // A cart written before carts had ids gets one with its next change.
  return decoded.length === 0 ? emptyCart : { id: id ?? "", lines: decoded };
}
