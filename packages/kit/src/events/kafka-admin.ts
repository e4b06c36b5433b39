import { Admin, findErrorBy } from "@platformatic/kafka";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";

/** What every client of the transport shares: who it is, where the brokers are, how it retries. */
export interface KafkaClientOptions {
  clientId: string;
  bootstrapBrokers: string[];
  retries: number;
  retryDelay: number;
}

/** An admin client of brokers that answered, or an `unavailable` error naming them and why not. */
export async function connectAdmin(client: KafkaClientOptions): Promise<Admin> {
  const admin = new Admin(client);
  try {
    await admin.listApis();
    return admin;
  } catch (error) {
    await admin.close().catch(() => undefined);
    throw new ServiceError(
      "unavailable",
      `Kafka is unreachable at ${client.bootstrapBrokers.join(",")}: ${(error as Error).message.replace(/\.$/, "")} (${rootCause(error)})`,
      { cause: error },
    );
  }
}

/**
 * Creates each topic the first time it is asked for, once per process; one that exists already
 * (another replica, an earlier run) is as good, and a failed creation is tried again next time.
 */
export function topicCreator(admin: Admin, { partitions, log }: { partitions: number; log: Logger }) {
  const ensured = new Map<string, Promise<string>>();
  return function ensureTopic(topic: string): Promise<string> {
    let created = ensured.get(topic);
    if (!created) {
      created = admin.createTopics({ topics: [topic], partitions, replicas: -1 }).then(
        () => {
          log.info({ topic, partitions }, "Kafka topic created");
          return topic;
        },
        (error: unknown) => {
          if (error instanceof Error && findErrorBy(error, "apiId", "TOPIC_ALREADY_EXISTS")) return topic;
          ensured.delete(topic);
          throw error;
        },
      );
      ensured.set(topic, created);
    }
    return created;
  };
}

/** The innermost reason of the client's nested errors: "connect ECONNREFUSED 127.0.0.1:9092". */
function rootCause(error: unknown): string {
  let current = error;
  for (;;) {
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors.at(-1);
    else if (current instanceof Error && current.cause !== undefined) current = current.cause;
    else return current instanceof Error ? current.message : String(current);
  }
}
