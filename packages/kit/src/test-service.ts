import type { Service } from "./service.ts";
import { testIssuer } from "./test-issuer.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

/** What a service's wiring function returns: the service and the domain objects tests reach for. */
export interface Wiring {
  service: Service<unknown>;
}

export type StartedTestService<W extends Wiring> = W & {
  database: TestDatabase;
  rpcPort: number;
  /** `127.0.0.1:<rpcPort>`. */
  address: string;
  /** Stops the service and drops its database, unless the database was handed in. */
  stop(): Promise<void>;
};

/**
 * A service built by its own wiring function (`create`, what its main.ts calls), started in this
 * process on a fresh test database (or `database`), on loopback and free ports, with quiet logs,
 * authentication on against the shared test issuer (`testIssuer()`: call it with `testClient`), and
 * `env` on top. Whatever fails on the way cleans up what was made.
 *
 * @example
 *   export const startTestCatalog = (env = {}) => startTestService("catalog", (env) => createCatalog({ env }), env);
 */
export async function startTestService<W extends Wiring>(
  name: string,
  create: (env: Record<string, string>) => Promise<W>,
  env: Record<string, string> = {},
  options: { database?: TestDatabase } = {},
): Promise<StartedTestService<W>> {
  const database = options.database ?? (await createTestDatabase(name));
  const dropOwn = async () => {
    // A database handed in belongs to the caller.
    if (!options.database) await database.drop();
  };
  let wiring: W | undefined;
  try {
    wiring = await create({
      ...(await testIssuer()).env,
      DATABASE_URL: database.url,
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      ...env,
    });
    const { service } = wiring;
    const { rpcPort } = await service.start();
    return {
      ...wiring,
      database,
      rpcPort,
      address: `127.0.0.1:${rpcPort}`,
      async stop() {
        await service.stop();
        await dropOwn();
      },
    };
  } catch (error) {
    await wiring?.service.stop();
    await dropOwn();
    throw error;
  }
}

/** A producer address where nothing listens: a consumer of it keeps reconnecting, quietly, until stopped. */
export const nowhere = "127.0.0.1:1";
