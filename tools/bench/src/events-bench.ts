import { createTestDatabase, startTestIssuer } from "@tessera/kit/testing";
import {
  openDb,
  publishEchoed,
  ServiceProcess,
  waitFor,
  type EchoedEvent,
} from "@tessera/kit/events-contract";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { deleteStreams } from "./nats-streams.ts";

export interface EventsBenchResult {
  transport: "direct" | "nats";
  events: number;
  eventsPerSecond: number;
  latencyRate: number;
  p50Ms: number;
  p99Ms: number;
}

const payload = "x".repeat(200);

/**
 * Events through a real producer and consumer process: a saturation phase (4 writers, 20 events a
 * transaction) gives events/s from first publish to last effect; then a paced phase of single-event
 * transactions at `latencyRate` gives delivery latency (the producer's commit → the consumer's effect
 * committed), p50 and p99.
 * Bounded: `seconds` of publishing per transport, plus the drain.
 */
export async function benchEvents(
  transport: "direct" | "nats",
  {
    adminUrl,
    natsUrl,
    seconds = 10,
    latencyRate = 200,
    progress,
  }: {
    adminUrl: string;
    natsUrl: string;
    seconds?: number;
    latencyRate?: number;
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

    // Latency: paced at half the sustained rate, one event per transaction.
    await consumerDb.query("TRUNCATE effects");
    // One fixed, comparable rate for every transport (lower when a transport cannot sustain it).
    const rate = Math.max(20, Math.min(latencyRate, Math.floor(eventsPerSecond / 2)));
    progress(`${transport}: ${Math.round(eventsPerSecond)} events/s; measuring latency at ${rate}/s`);
    const paced = Math.floor(rate * seconds * 0.4);
    const started = Date.now();
    for (let i = 0; i < paced; i++) {
      const due = started + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      await publishEchoed(producerDb, [
        { subject: `paced-${i % 10}`, sequence: Math.floor(i / 10) + 1, payload },
      ]);
    }
    await waitFor("the paced events", async () => (await count()) >= paced, 60_000);
    const { rows } = await consumerDb.query<{ p50: number; p99: number }>(
      `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY ms) AS p99
         FROM (SELECT extract(epoch FROM applied_at - published_at)::float8 * 1000 AS ms FROM effects) latencies`,
    );
    return {
      transport,
      events: published,
      eventsPerSecond,
      latencyRate: rate,
      p50Ms: rows[0]?.p50 ?? NaN,
      p99Ms: rows[0]?.p99 ?? NaN,
    };
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
