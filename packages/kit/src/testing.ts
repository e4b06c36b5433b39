import { randomBytes } from "node:crypto";
import { createPgClient } from "./db.ts";

/** The server integration tests use; the local PostgreSQL by default. */
export const testServerUrl =
  process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * Creates a fresh, uniquely named database on the test server, so parallel runs never collide;
 * `drop()` removes it (terminating leftover connections).
 *
 * @example
 *   const database = await createTestDatabase("catalog");
 *   afterAll(() => database.drop());
 */
export async function createTestDatabase(prefix: string, serverUrl = testServerUrl): Promise<TestDatabase> {
  const name = `test_${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`.toLowerCase();
  const admin = createPgClient({ connectionString: serverUrl, application_name: "tessera-test-admin" });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = createPgClient({ connectionString: serverUrl, application_name: "tessera-test-admin" });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export {
  freePort,
  startService,
  startRpcService,
  type ServiceProcess,
  type RpcServiceProcess,
} from "./service-process.ts";
export { startTestProducer, type TestProducer } from "./test-producer.ts";
export { startNatsServer, type NatsServer } from "./nats-server.ts";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";
export { waitFor } from "./wait-for.ts";
export { startTestService, nowhere, type StartedTestService, type Wiring } from "./test-service.ts";
export { publishedAbout, receivedEvent, testEnvelope } from "./test-events.ts";
export {
  startTestIssuer,
  testIssuer,
  testClient,
  testCallers,
  type TestIssuer,
  type TestCaller,
  type TestTokenOptions,
} from "./test-issuer.ts";
