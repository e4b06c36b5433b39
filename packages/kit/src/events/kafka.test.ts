import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../config.ts";
import { ServiceError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { createService } from "../service.ts";
import { EventsConfig, RpcServiceConfig } from "../service-config.ts";
import { testIssuer } from "../test-issuer.ts";
import { createTestDatabase, type TestDatabase } from "../testing.ts";
import { freePort } from "./contract/harness.ts";
import { envelopeFromJson, type EventEnvelope } from "./envelope.ts";
import { createKafkaTransport, groupOf, recordOf, topicOf } from "./kafka.ts";

const envelope: EventEnvelope = {
  id: "01890a5d-ac96-774b-bcce-b302099a8057",
  type: "tessera.catalog.v1.ProductChanged",
  source: "catalog",
  subject: "product-42",
  time: new Date("2025-01-02T03:04:05.678Z"),
  datacontenttype: "application/json",
  schemaVersion: 1,
  data: { productId: "product-42", price: { amountMinor: "1999", currency: "EUR" } },
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  position: 17n,
};

/** Runs `fn`, which must reject with a ConfigError, and returns it. */
async function configError(fn: () => unknown): Promise<ConfigError> {
  const error: unknown = await Promise.resolve()
    .then(fn)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("Kafka records", () => {
  it("go to one topic per producing service, keyed by subject", () => {
    const record = recordOf("tessera", envelope);
    expect(topicOf("tessera", "catalog")).toBe("tessera.catalog");
    expect(record.topic).toBe("tessera.catalog");
    expect(record.key).toBe("product-42");
  });

  it("carry the JSON envelope as value, which reads back as the same envelope", () => {
    const record = recordOf("tessera", envelope);
    expect(envelopeFromJson(record.value!)).toEqual(envelope);
  });

  it("carry the CloudEvents attributes and the trace context as headers", () => {
    expect(recordOf("tessera", envelope).headers).toEqual({
      "ce-type": "tessera.catalog.v1.ProductChanged",
      "ce-source": "catalog",
      "ce-subject": "product-42",
      traceparent: envelope.traceparent,
    });
  });

  it("leave the traceparent header out when the event has no trace context", () => {
    expect(recordOf("t1", { ...envelope, traceparent: "" }).headers).not.toHaveProperty("traceparent");
  });

  it("are consumed by one group per service and subscription, scoped by the prefix", () => {
    expect(groupOf("tessera", "orders", "saga")).toBe("tessera.orders-saga");
  });
});

describe("Kafka configuration", () => {
  const kafka = { LOG_LEVEL: "silent", EVENTS_TRANSPORT: "kafka" };

  it("reads KAFKA_BROKERS as a list of host:port, and 3 partitions by default", () => {
    const config = loadConfig(EventsConfig, {
      ...kafka,
      KAFKA_BROKERS: "kafka-0.kafka:9092, 10.0.0.7:9093,[::1]:9094",
    });
    expect(config.EVENTS_TRANSPORT).toBe("kafka");
    expect(config.KAFKA_BROKERS).toEqual(["kafka-0.kafka:9092", "10.0.0.7:9093", "[::1]:9094"]);
    expect(config.EVENTS_KAFKA_PARTITIONS).toBe(3);
  });

  it.each(["kafka", "kafka:", "kafka:99999", "kafka:0", "kafka:9092,", "http://kafka:9092", "a b:9092"])(
    "refuses KAFKA_BROKERS=%j, naming the variable",
    async (value) => {
      const error = await configError(() => loadConfig(EventsConfig, { ...kafka, KAFKA_BROKERS: value }));
      expect(error.variables).toEqual(["KAFKA_BROKERS"]);
      expect(error.message).toContain("KAFKA_BROKERS: must be a comma-separated list of host:port");
    },
  );

  it("refuses a partition count that is not a positive integer", async () => {
    const error = await configError(() =>
      loadConfig(EventsConfig, { ...kafka, KAFKA_BROKERS: "kafka:9092", EVENTS_KAFKA_PARTITIONS: "0" }),
    );
    expect(error.variables).toEqual(["EVENTS_KAFKA_PARTITIONS"]);
  });

  it("requires KAFKA_BROKERS when EVENTS_TRANSPORT=kafka", async () => {
    const error = await configError(() => loadConfig(EventsConfig, kafka));
    expect(error.variables).toEqual(["KAFKA_BROKERS"]);
    expect(error.message).toContain("KAFKA_BROKERS: is required when EVENTS_TRANSPORT=kafka");
  });

  it("does not require KAFKA_BROKERS for the other transports", () => {
    for (const transport of ["direct", "nats"]) {
      expect(loadConfig(EventsConfig, { EVENTS_TRANSPORT: transport }).KAFKA_BROKERS).toBeUndefined();
    }
  });
});

describe("Kafka transport without a broker", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("fails to connect with an error naming the brokers, in bounded time", async () => {
    const broker = `127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const error: unknown = await createKafkaTransport({
      brokers: [broker],
      prefix: "t0",
      service: "edge",
      log: createLogger({ service: "edge", level: "silent" }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: "unavailable" });
    expect((error as Error).message).toContain(`Kafka is unreachable at ${broker}`);
    // Three retries a second apart, by default.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("stops a service from starting rather than leaving it waiting", async () => {
    const database: TestDatabase = await createTestDatabase("kafka_unreachable");
    cleanups.push(() => database.drop());
    const broker = `127.0.0.1:${await freePort()}`;
    const service = await createService({
      name: "edge",
      config: RpcServiceConfig,
      database: {},
      env: {
        ...(await testIssuer()).env,
        LOG_LEVEL: "silent",
        GRPC_HOST: "127.0.0.1",
        DATABASE_URL: database.url,
        EVENTS_TRANSPORT: "kafka",
        KAFKA_BROKERS: broker,
      },
    });
    cleanups.push(() => service.stop());
    await expect(service.start()).rejects.toThrow(`Kafka is unreachable at ${broker}`);
  });
});
