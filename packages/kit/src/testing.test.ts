import { describe, expect, it } from "vitest";
import { createPgClient } from "./db.ts";
import { createTestDatabase, testServerUrl } from "./testing.ts";

async function exists(name: string): Promise<boolean> {
  const client = createPgClient({ connectionString: testServerUrl });
  await client.connect();
  try {
    return (await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describe("createTestDatabase", () => {
  it("creates a fresh database its url connects to", async () => {
    const database = await createTestDatabase("Kit_Testing");
    try {
      expect(database.name).toMatch(/^test_kit_testing_[a-z0-9]+_[0-9a-f]{6}$/);
      expect(await exists(database.name)).toBe(true);
      const client = createPgClient({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string; tables: number }>(
          "SELECT current_database() AS name, (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public') AS tables",
        );
        expect(rows[0]).toEqual({ name: database.name, tables: 0 });
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });

  it("gives each call its own database", async () => {
    const [a, b] = await Promise.all([createTestDatabase("kit_same"), createTestDatabase("kit_same")]);
    try {
      expect(a.name).not.toBe(b.name);
      expect(a.url).not.toBe(b.url);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it("drops the database even while connections are open, and twice without error", async () => {
    const database = await createTestDatabase("kit_drop");
    const client = createPgClient({ connectionString: database.url });
    client.on("error", () => undefined); // the forced drop terminates this connection
    await client.connect();
    await database.drop();
    expect(await exists(database.name)).toBe(false);
    await expect(database.drop()).resolves.toBeUndefined();
    await client.end().catch(() => undefined);
  });

  it("keeps the server's credentials and host in the url", async () => {
    const database = await createTestDatabase("kit_url");
    try {
      const url = new URL(database.url);
      const server = new URL(testServerUrl);
      expect(url.host).toBe(server.host);
      expect(url.username).toBe(server.username);
      expect(url.pathname).toBe(`/${database.name}`);
    } finally {
      await database.drop();
    }
  });
});
