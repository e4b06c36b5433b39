import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, type ConfigProblem } from "./config.ts";
import { createService } from "./service.ts";
import { RpcServiceConfig } from "./service-config.ts";
import { testIssuer } from "./test-issuer.ts";
import { readTlsMaterial } from "./tls-config.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-tls-config-"));
  for (const name of ["ca.pem", "cert.pem", "key.pem"]) await writeFile(join(dir, name), `${name}\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const read = (settings: Parameters<typeof readTlsMaterial>[1]) => {
  const problems: ConfigProblem[] = [];
  return { material: readTlsMaterial(problems, settings), problems };
};

describe("TLS settings", () => {
  it("are off when none is set", () => {
    expect(read({})).toEqual({ material: undefined, problems: [] });
  });

  it("read the three files when all are set", () => {
    const { material, problems } = read({
      GRPC_TLS_CA: join(dir, "ca.pem"),
      GRPC_TLS_CERT: join(dir, "cert.pem"),
      GRPC_TLS_KEY: join(dir, "key.pem"),
    });
    expect(problems).toEqual([]);
    expect(material?.ca.toString()).toBe("ca.pem\n");
    expect(material?.cert.toString()).toBe("cert.pem\n");
    expect(material?.key.toString()).toBe("key.pem\n");
  });

  it("name the file that cannot be read", () => {
    const { material, problems } = read({
      GRPC_TLS_CA: join(dir, "ca.pem"),
      GRPC_TLS_CERT: join(dir, "cert.pem"),
      GRPC_TLS_KEY: join(dir, "missing.pem"),
    });
    expect(material).toBeUndefined();
    expect(problems).toEqual([
      { variable: "GRPC_TLS_KEY", message: `cannot read ${join(dir, "missing.pem")} (ENOENT)` },
    ]);
  });

  it("stop createService with a ConfigError naming what a partial set lacks", async () => {
    const error: unknown = await createService({
      name: "echo",
      config: RpcServiceConfig,
      env: { ...(await testIssuer()).env, LOG_LEVEL: "silent", GRPC_TLS_CA: join(dir, "ca.pem") },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(["GRPC_TLS_CERT", "GRPC_TLS_KEY"]);
    expect((error as ConfigError).message).toContain("GRPC_TLS_CERT: is required when GRPC_TLS_CA is set");
  });
});
