import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  createTestDatabase,
  freePort,
  startService,
  testIssuer,
  type ServiceProcess,
  type TestDatabase,
} from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const IDENTITY = new URL("../../../services/identity/src/main.ts", import.meta.url);

describe("npm run -s token -- NAME, against identity", () => {
  let database: TestDatabase;
  let identity: ServiceProcess;
  let issuer: string;
  let dataDir: string;

  beforeAll(async () => {
    database = await createTestDatabase("token");
    dataDir = await mkdtemp(join(tmpdir(), "tessera-token-"));
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}/oidc`;
    identity = await startService(IDENTITY, {
      ...(await testIssuer()).env,
      DATABASE_URL: database.url,
      TESSERA_MODE: "embedded",
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      IDENTITY_HOST: "127.0.0.1",
      IDENTITY_PORT: String(port),
      IDENTITY_ISSUER: issuer,
    });
  });

  afterAll(async () => {
    await identity?.kill();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const token = (...args: string[]) =>
    promisify(execFile)(process.execPath, [MAIN, ...args], {
      env: { ...process.env, IDENTITY_ISSUER: issuer, TESSERA_DATA_DIR: dataDir },
    });

  const claims = (jwt: string) =>
    JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;

  it("prints only an access token, registering the user the first time and signing in after", async () => {
    const first = await token("alice");
    expect(first.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(first.stderr).toBe("");
    expect(claims(first.stdout)).toMatchObject({ iss: issuer, aud: "urn:tessera:api", roles: ["customer"] });
    expect((await stat(join(dataDir, "token-users.json"))).mode & 0o777).toBe(0o600);

    const again = await token("alice");
    expect(again.stdout).not.toBe(first.stdout);
    expect(claims(again.stdout)["sub"]).toBe(claims(first.stdout)["sub"]);
    expect(claims((await token("bob@tessera.local")).stdout)["sub"]).not.toBe(claims(first.stdout)["sub"]);
  });

  it("says so when nothing answers", async () => {
    const port = await freePort();
    const refused = promisify(execFile)(process.execPath, [MAIN, "alice"], {
      env: { ...process.env, IDENTITY_ISSUER: `http://127.0.0.1:${port}/oidc`, TESSERA_DATA_DIR: dataDir },
    });
    await expect(refused).rejects.toMatchObject({
      code: 1,
      stdout: "",
      stderr: expect.stringMatching(/^token: nothing answers at .*: is `npm start` running\?\n$/),
    });
  });
});
