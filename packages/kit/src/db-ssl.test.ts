// DATABASE_URL's sslmode and sslrootcert reach the pool (node-postgres parses them with
// pg-connection-string): checked against a stand-in server that answers the SSLRequest with "no".
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "./db.ts";

let dir: string;
let server: Server;
let port: number;
const firstPackets: Buffer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-db-ssl-"));
  await writeFile(join(dir, "ca.pem"), "not checked before the server agrees to TLS\n");
  server = createServer((socket: Socket) => {
    socket.once("data", (data) => {
      firstPackets.push(data);
      // "N": this server does not speak TLS.
      socket.end(Buffer.from("N"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const url = () =>
  `postgres://app:secret@127.0.0.1:${port}/app?sslmode=verify-full&sslrootcert=${join(dir, "ca.pem")}`;

describe("PostgreSQL over TLS", () => {
  it("takes the CA and full verification from DATABASE_URL", () => {
    const client = new pg.Client({ connectionString: url() });
    const ssl = (client as unknown as { ssl: { ca?: string; rejectUnauthorized?: boolean } }).ssl;
    expect(ssl.ca).toBe("not checked before the server agrees to TLS\n");
    // Certificates are verified (Node's default), host name included: no rejectUnauthorized=false.
    expect(ssl.rejectUnauthorized).toBeUndefined();
  });

  it("makes createDb's pool ask for TLS and refuse a server without it", async () => {
    const db = createDb({ connectionString: url() });
    try {
      await expect(db.query("SELECT 1")).rejects.toThrow(/does not support SSL/);
      // The SSLRequest: length 8, code 80877103.
      expect(firstPackets.at(-1)?.readInt32BE(0)).toBe(8);
      expect(firstPackets.at(-1)?.readInt32BE(4)).toBe(80877103);
    } finally {
      await db.close();
    }
  });
});
