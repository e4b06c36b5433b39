import { LRUCache } from "lru-cache";
import type { EventsService } from "@tessera/contracts/events/v1";
import { tailEvents, type Client, type Logger, type TailSource } from "@tessera/kit";
import type { GatewayConfig } from "./config.ts";

/** A public catalog answer as sent: its serialized body, entity tag and `Link` header. */
export interface CachedAnswer {
  json: string;
  etag: string;
  link?: string;
}

/**
 * The gateway's memory cache of public catalog answers, kept current by the catalog's
 * `ProductChanged` events: a change drops that product and every list, search and category
 * answer; a gap in the events (a (re)connect, a disconnect) drops everything. Entries also
 * expire after a TTL, a backstop for anything the events could not say.
 */
export interface ProductCache {
  /** The answer of a product (`product`) or a page (`page`, keyed by path and query), if held. */
  get(kind: "product" | "page", key: string): CachedAnswer | undefined;
  /**
   * Call before reading from the catalog and hand the mark to `set`: an answer read while a
   * change arrived may predate it, so it is not kept.
   */
  mark(): number;
  set(kind: "product" | "page", key: string, answer: CachedAnswer, mark: number): void;
  productChanged(productId: string): void;
  flush(): void;
  stop(): Promise<void>;
}

export interface ProductCacheOptions {
  maxBytes: number;
  ttlMs: number;
  /** Where the catalog's events are tailed; none for a cache fed by hand (tests). */
  source?: TailSource;
  log: Logger;
}

const productChanged = "tessera.catalog.v1.ProductChanged";

/** A bounded LRU (lru-cache) per kind, sized by the bytes of the bodies it holds. */
export function createProductCache({ maxBytes, ttlMs, source, log }: ProductCacheOptions): ProductCache {
  const lru = () =>
    new LRUCache<string, CachedAnswer>({
      maxSize: Math.max(1, Math.floor(maxBytes / 2)),
      sizeCalculation: (answer) => answer.json.length + answer.etag.length + 64,
      ttl: ttlMs,
      // An expired entry is never served: the TTL is checked on every read, not by a timer.
      ttlAutopurge: false,
    });
  const caches = { product: lru(), page: lru() };
  let epoch = 0;
  // With a tail, nothing is kept until it is up, nor while it is down: a change could go unseen.
  let live = !source;
  const cache: ProductCache = {
    get: (kind, key) => caches[kind].get(key),
    mark: () => epoch,
    set(kind, key, answer, mark) {
      if (live && mark === epoch) caches[kind].set(key, answer);
    },
    productChanged(productId) {
      epoch++;
      caches.product.delete(productId);
      caches.page.clear();
    },
    flush() {
      epoch++;
      caches.product.clear();
      caches.page.clear();
    },
    stop: () => tail?.stop() ?? Promise.resolve(),
  };
  const tail =
    source &&
    tailEvents({
      source,
      producer: "catalog",
      types: [productChanged],
      log,
      onEvent: (envelope) => cache.productChanged(envelope.subject),
      onReset: (reason, up) => {
        cache.flush();
        live = up;
        log.debug({ reason, live }, "product cache flushed");
      },
    });
  return cache;
}

/** The product cache as the gateway's settings ask: off, or tailing the catalog on their transport. */
export function productCacheOf(
  config: Pick<
    GatewayConfig,
    "GATEWAY_PRODUCT_CACHE" | "GATEWAY_PRODUCT_CACHE_MB" | "GATEWAY_PRODUCT_CACHE_TTL_MS" | "EVENTS_TRANSPORT"
  > &
    Pick<GatewayConfig, "NATS_URL" | "EVENTS_PREFIX">,
  { log, catalogEvents }: { log: Logger; catalogEvents: () => Client<typeof EventsService> },
): ProductCache | undefined {
  if (!config.GATEWAY_PRODUCT_CACHE) return undefined;
  if (config.EVENTS_TRANSPORT === "kafka")
    throw new Error(
      "GATEWAY_PRODUCT_CACHE tails events over direct or nats only: set it to false with kafka",
    );
  const source: TailSource =
    config.EVENTS_TRANSPORT === "nats"
      ? { transport: "nats", url: config.NATS_URL, prefix: config.EVENTS_PREFIX }
      : { transport: "direct", client: catalogEvents() };
  return createProductCache({
    maxBytes: config.GATEWAY_PRODUCT_CACHE_MB * 1024 * 1024,
    ttlMs: config.GATEWAY_PRODUCT_CACHE_TTL_MS,
    source,
    log,
  });
}
