import { writeFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { EchoedSchema, EchoService } from "@tessera/contracts/testing/v1";
import { findFreePort } from "@tessera/dev-runner/ports";
import type { z } from "@tessera/kit";
import { createService, RpcServiceConfig, ServiceError, type Client, type Service } from "@tessera/kit";
import { testCallers, testClient, testIssuer, waitFor } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from "../../tools/dev-runner/src/embedded-postgres.ts";
import { createTempDir } from "../support/temp-dir.ts";

// A kit service on a real PostgreSQL server that is killed and started again, as the dev runner
// does after a crash: its pool, its event relay (a session advisory lock on a connection of its
// own) and its LISTEN connection must all come back by themselves, and while the server is gone
// callers are told "unavailable" — never "internal".

const Config = RpcServiceConfig;

describe("a service whose database server is killed and restarted", { timeout: 120_000 }, () => {
  let root: string;
  let port: number;
  let server: EmbeddedPostgres | undefined;
  let service: Service<z.infer<typeof Config>> | undefined;
  let echo: Client<typeof EchoService>;
  let opsPort: number;

  const startServer = () =>
    startEmbeddedPostgres({ dataDir: join(root, "postgres"), port, adminPassword: "admin-secret" });

  beforeAll(async () => {
    root = await createTempDir("tessera-restart-");
    port = await findFreePort();
    server = await startServer();
    await writeFile(join(root, "001_notes.sql"), "CREATE TABLE notes (message text NOT NULL);");
    service = await createService({
      name: "restarts",
      config: Config,
      database: { migrations: root },
      env: {
        ...(await testIssuer()).env,
        DATABASE_URL: server.adminUrl,
        GRPC_HOST: "127.0.0.1",
        OPS_HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
      },
    });
    const db = service.db;
    service.serve(EchoService, {
      async echo(request) {
        await db.query("INSERT INTO notes (message) VALUES ($1)", [request.message]);
        return { message: request.message };
      },
      echoOnce: (request) => ({ message: request.message }),
      async *echoStream() {},
    });
    const started = await service.start();
    opsPort = started.opsPort;
    echo = testClient(EchoService, `127.0.0.1:${started.rpcPort}`, testCallers.service, {
      maxAttempts: 1,
      deadlineMs: 5_000,
    });
  }, 120_000);

  afterAll(async () => {
    echo?.close();
    await service?.stop();
    await server?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const ready = async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status;
  /** Publishes through the outbox and waits for the relay to give the row its position. */
  const relayed = async (subject: string) => {
    const envelope = await service!.db.tx((tx) =>
      service!.publish(tx, EchoedSchema, { subject, sequence: 1n }, { subject }),
    );
    return waitFor(
      `the relay to position event ${subject}`,
      async () =>
        (
          await service!.db.query("SELECT 1 FROM outbox WHERE id = $1 AND position IS NOT NULL", [
            envelope.id,
          ])
        ).rowCount === 1,
      30_000,
    );
  };

  it("answers unavailable while the server is down, then works again on the same pool", async () => {
    expect((await echo.echo({ message: "before" })).message).toBe("before");
    await relayed("before");
    const pool = service!.db.pool;

    process.kill(server!.pid, "SIGKILL");
    await server!.exited;
    // A backend whose postmaster was killed may still answer one query before it notices and exits.
    let failure: unknown;
    await waitFor("a call to fail while the server is down", async () => {
      failure = await echo.echo({ message: "while down" }).then(
        () => undefined,
        (error: unknown) => error,
      );
      return failure !== undefined;
    });
    expect(failure).toBeInstanceOf(ServiceError);
    expect((failure as ServiceError).code).toBe("unavailable");
    expect(await ready()).toBe(503);

    server = await startServer();
    await waitFor("the service to be ready again", async () => (await ready()) === 200, 60_000);
    expect((await echo.echo({ message: "after" })).message).toBe("after");
    expect(service!.db.pool).toBe(pool);
    // The relay took its lease again on a new connection, and relays what is committed now.
    await relayed("after");
    const { rows } = await service!.db.query<{ message: string }>("SELECT message FROM notes ORDER BY 1");
    // A "while down" that a dying backend still answered was committed before the server died.
    expect(rows.map((row) => row.message).filter((m) => m !== "while down")).toEqual(["after", "before"]);
  });
});
