import { SpanKind as Kind } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { EchoedSchema } from "@tessera/contracts/testing/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "../config.ts";
import { createService, type Service } from "../service.ts";
import { RpcServiceConfig } from "../service-config.ts";
import { testIssuer } from "../test-issuer.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { inSpan, setUpTracing, SpanKind } from "../tracing.ts";
import { waitFor } from "./contract/harness.ts";

describe("trace context across events", () => {
  const exporter = new InMemorySpanExporter();
  const databases: TestDatabase[] = [];
  const services: Service<unknown>[] = [];
  let producer: Service<unknown>;
  const received: string[] = [];

  beforeAll(async () => {
    await setUpTracing({ service: "tracing-test", processors: [new SimpleSpanProcessor({ exporter })] });
    const [producerDb, consumerDb] = await Promise.all([
      createTestDatabase("trace_producer"),
      createTestDatabase("trace_consumer"),
    ]);
    databases.push(producerDb, consumerDb);
    const env = { ...(await testIssuer()).env, GRPC_HOST: "127.0.0.1", LOG_LEVEL: "silent" };
    producer = await createService({
      name: "testing",
      config: RpcServiceConfig,
      database: {},
      env: { ...env, DATABASE_URL: producerDb.url },
    });
    const { rpcPort } = await producer.start();
    const consumer = await createService({
      name: "trace-consumer",
      config: RpcServiceConfig.extend({ TESTING_ADDR: z.string() }),
      producers: { testing: (config) => config.TESTING_ADDR },
      database: {},
      env: { ...env, DATABASE_URL: consumerDb.url, TESTING_ADDR: `127.0.0.1:${rpcPort}` },
    });
    consumer.subscribe("traced", [EchoedSchema], ({ envelope }) => {
      received.push(envelope.traceparent);
      return Promise.resolve();
    });
    await consumer.start();
    services.push(producer, consumer);
  });

  afterAll(async () => {
    for (const service of services.reverse()) await service.stop();
    for (const database of databases) await database.drop();
  });

  it("continues the producing span's trace in the consuming span", async () => {
    const traceId = await inSpan("place order", SpanKind.INTERNAL, undefined, {}, async (traceparent) => {
      await producer.db.tx((tx) =>
        producer.publish(tx, EchoedSchema, { subject: "order-1", sequence: 1n }, { subject: "order-1" }),
      );
      return traceparent?.split("-")[1];
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await waitFor("the event", () => Promise.resolve(received.length === 1));
    const spans = exporter.getFinishedSpans();
    const publish = spans.find((s) => s.name === "publish tessera.testing.v1.Echoed");
    const processSpan = await waitFor("the consumer span", () =>
      Promise.resolve(
        exporter.getFinishedSpans().find((s) => s.name === "process tessera.testing.v1.Echoed"),
      ),
    );
    expect(publish?.spanContext().traceId).toBe(traceId);
    expect(publish?.kind).toBe(Kind.PRODUCER);
    expect(processSpan.spanContext().traceId).toBe(traceId);
    expect(processSpan.kind).toBe(Kind.CONSUMER);
    expect(processSpan.parentSpanContext?.spanId).toBe(publish?.spanContext().spanId);
    // The envelope carried the publish span's context.
    expect(received[0]).toBe(`00-${traceId}-${publish?.spanContext().spanId}-01`);
  });
});
