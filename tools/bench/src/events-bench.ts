import { createTestDatabase, startTestIssuer } from "@tessera/kit/testing";
import {
  openDb,
  publishEchoed,
  ServiceProcess,
  waitFor,
  type EchoedEvent,
} from "@tessera/kit/events-contract";
import { createDb, type Db } from "@tessera/kit";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { deleteStreams } from "./nats-streams.ts";

export interface EventsBenchResult {
  transport: "direct" | "nats";
  events: number;
  eventsPerSecond: number;
  /** Delivery latency at each offered rate. */
  latency: PacedLatency[];
}

export interface PacedLatency {
  /** Events per second offered, one per transaction. */
  offered: number;
  /** Events per second the producer's commits actually reached (below `offered` when it could not keep up). */
  achieved: number;
  p50Ms: number;
  p99Ms: number;
}

/** The paced phase's writers: enough connections that commits at the offered rate never queue on the pool. */
const pacedConnections = 16;

const payload = "x".repeat(200);

/**
 * Events through a real producer and consumer process: a saturation phase (4 writers, 20 events a
 * transaction) gives events/s from first publish to last effect; then, for each of `latencyRates`,
 * a paced phase of single-event transactions offered as an open loop (each started on its schedule,
 * whether or not the previous one committed) gives delivery latency (the producer's commit → the
 * consumer's effect committed), p50 and p99, and the rate the commits really reached.
 * Bounded: `seconds` of saturation and `seconds` × 0.4 per rate, plus the drains.
 */
export async function benchEvents(
  transport: "direct" | "nats",
  {
    adminUrl,
    natsUrl,
    seconds = 10,
    latencyRates = [200, 1_000],
    progress,
  }: {
    adminUrl: string;
    natsUrl: string;
    seconds?: number;
    latencyRates?: readonly number[];
    progress: (line: string) => void;
  },
): Promise<EventsBenchResult> {
  const producerDatabase = await createTestDatabase("bench_producer", adminUrl);
  const consumerDatabase = await createTestDatabase("bench_consumer", adminUrl);
  // The two kit services verify tokens and get their own: a stand-in issuer, not identity, as
  // what is measured is the transport between them.
  const issuer = await startTestIssuer();
  const env = {
    ...issuer.env,
    EVENTS_TRANSPORT: transport,
    NATS_URL: natsUrl,
    EVENTS_PREFIX: `bench${randomBytes(3).toString("hex")}`,
  };
  const producer = await ServiceProcess.create("./producer-main.ts", {
    ...env,
    DATABASE_URL: producerDatabase.url,
  });
  const producerDb = openDb(producerDatabase.url);
  const consumerDb = openDb(consumerDatabase.url);
  let consumer: ServiceProcess | undefined;
  try {
    await producer.start();
    consumer = await ServiceProcess.create("./consumer-main.ts", {
      ...env,
      DATABASE_URL: consumerDatabase.url,
      TESTING_ADDR: producer.address,
    });
    await consumer.start();
    const count = async () => {
      const { rows } = await consumerDb.query<{ n: bigint }>("SELECT count(*) AS n FROM effects");
      return Number(rows[0]?.n ?? 0);
    };

    // Saturation: as fast as four writers commit.
    progress(`${transport}: saturating for ${(seconds * 0.6).toFixed(0)} s`);
    let published = 0;
    const until = Date.now() + seconds * 600;
    await Promise.all(
      Array.from({ length: 4 }, async (_, writer) => {
        for (let batch = 0; Date.now() < until; batch++) {
          const events: EchoedEvent[] = Array.from({ length: 20 }, (_, i) => ({
            subject: `w${writer}-s${i % 10}`,
            sequence: batch * 2 + Math.floor(i / 10) + 1,
            payload,
          }));
          await publishEchoed(producerDb, events, 20);
          published += events.length;
        }
      }),
    );
    progress(`${transport}: ${published} events published; draining`);
    await waitFor("the consumer to drain", async () => (await count()) >= published, 120_000);
    const { rows: span } = await consumerDb.query<{ seconds: number }>(
      "SELECT extract(epoch FROM max(applied_at) - min(published_at))::float8 AS seconds FROM effects",
    );
    const eventsPerSecond = published / (span[0]?.seconds ?? 1);

    const latency: PacedLatency[] = [];
    const writers = createDb({ connectionString: producerDatabase.url, max: pacedConnections });
    try {
      for (const rate of latencyRates) {
        await consumerDb.query("TRUNCATE effects");
        progress(`${transport}: measuring latency at ${rate} events/s`);
        const { events, achieved } = await publishPaced(writers, rate, seconds * 0.4, `${rate}`);
        await waitFor("the paced events", async () => (await count()) >= events, 60_000);
        const { rows } = await consumerDb.query<{ p50: number; p99: number }>(
          `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY ms) AS p99
             FROM (SELECT extract(epoch FROM applied_at - published_at)::float8 * 1000 AS ms FROM effects) latencies`,
        );
        latency.push({ offered: rate, achieved, p50Ms: rows[0]?.p50 ?? NaN, p99Ms: rows[0]?.p99 ?? NaN });
      }
    } finally {
      await writers.close();
    }
    progress(`${transport}: ${Math.round(eventsPerSecond)} events/s saturated`);
    return { transport, events: published, eventsPerSecond, latency };
  } finally {
    await consumer?.stop();
    await producer.stop();
    await producerDb.close();
    await consumerDb.close();
    await producerDatabase.drop();
    await consumerDatabase.drop();
    await issuer.stop();
    if (transport === "nats") await deleteStreams(natsUrl, env.EVENTS_PREFIX);
  }
}

/**
 * Single-event transactions started on a fixed schedule (an open loop): a slow commit does not delay
 * the next start, so the offered rate is the rate asked for; `achieved` is what the commits reached.
 */
async function publishPaced(
  db: Db,
  rate: number,
  seconds: number,
  tag: string,
): Promise<{ events: number; achieved: number }> {
  const events = Math.floor(rate * seconds);
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    const due = started + (i * 1_000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const publishing = publishEchoed(db, [
      { subject: `paced-${tag}-${i % 10}`, sequence: Math.floor(i / 10) + 1, payload },
    ]);
    inFlight.add(publishing);
    void publishing.finally(() => inFlight.delete(publishing));
  }
  await Promise.all(inFlight);
  return { events, achieved: events / ((performance.now() - started) / 1_000) };
}
