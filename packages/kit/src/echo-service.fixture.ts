// Test support for the createService tests (imported by tests only): an Echo service on a fresh
// database with one migration, and what its tests need cleaned up. A test file calls
// `useEchoServices()` once, at its top.
import { EchoService } from "@tessera/contracts/testing/v1";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { z } from "./config.ts";
import { createService, type Service } from "./service.ts";
import { RpcServiceConfig } from "./service-config.ts";
import { testIssuer } from "./test-issuer.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

export const EchoConfig = RpcServiceConfig;
export type EchoConfig = z.infer<typeof EchoConfig>;

/** The migrations folder of the Echo service, made before a file's tests. */
export let directory: string;
const databases: TestDatabase[] = [];
/** What a test started, closed after it, newest first. */
export const cleanups: (() => Promise<unknown> | void)[] = [];

/**
 * Registers the hooks of a test file: the migrations folder made before its tests, what each test
 * started stopped after it, the databases and the folder removed after them all.
 */
export function useEchoServices(): void {
  beforeAll(createMigrations);
  afterEach(runCleanups);
  afterAll(removeDatabasesAndMigrations);
}

async function createMigrations(): Promise<void> {
  directory = await mkdtemp(join(tmpdir(), "tessera-service-"));
  await writeFile(
    join(directory, "001_create_echoes.sql"),
    "CREATE TABLE echoes (id serial PRIMARY KEY, message text NOT NULL);",
  );
  await writeFile(join(directory, "README.md"), "not a migration");
}

async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

async function removeDatabasesAndMigrations(): Promise<void> {
  for (const database of databases.splice(0)) await database.drop();
  await rm(directory, { recursive: true, force: true });
}

/** A fresh test database, dropped after the file's tests. */
export async function database(): Promise<TestDatabase> {
  const created = await createTestDatabase("kit_service");
  databases.push(created);
  return created;
}

/** The environment of a test service on `url`, trusting the shared test issuer, with `extra` on top. */
export async function env(url: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    ...(await testIssuer()).env,
    DATABASE_URL: url,
    GRPC_HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    SHUTDOWN_TIMEOUT_MS: "1000",
    ...extra,
  };
}

/** An Echo service that stores what it echoes: proves the handler reaches the migrated database. */
export async function echoService(
  extra: Record<string, string> = {},
  migrations: string | URL = directory,
): Promise<Service<EchoConfig>> {
  const { url } = await database();
  const service = await createService({
    name: "echo",
    config: EchoConfig,
    database: { migrations },
    env: await env(url, extra),
  });
  cleanups.push(() => service.stop());
  service.serve(EchoService, {
    async echo(request, context) {
      await service.db.query("INSERT INTO echoes (message) VALUES ($1)", [request.message]);
      return { message: request.message, deadlineMs: BigInt(context.deadline ?? 0) };
    },
    echoOnce: (request) => ({ message: request.message }),
    async *echoStream(request) {
      for (let index = 0; index < request.count; index++)
        yield await Promise.resolve({ message: request.message, index });
    },
  });
  return service;
}

export function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const get = (port: number, path: string) => fetch(`http://127.0.0.1:${port}${path}`);

/** Whether anything accepts TCP connections on the port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
