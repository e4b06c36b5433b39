import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rolePasswords, storedSecrets } from "./credentials.ts";

describe("rolePasswords", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "tessera-credentials-"));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it("generates a password per role once and returns the same ones after", async () => {
    const file = join(directory, "credentials.json");
    const first = await rolePasswords(file, ["postgres", "catalog"]);
    expect(first["catalog"]).toMatch(/^[\w-]{24}$/);
    expect(first["catalog"]).not.toBe(first["postgres"]);
    const again = await rolePasswords(file, ["catalog", "orders"]);
    expect(again["catalog"]).toBe(first["catalog"]);
    expect(Object.keys(JSON.parse(await readFile(file, "utf8")) as object)).toEqual([
      "postgres",
      "catalog",
      "orders",
    ]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("says which secrets it generated, so a new one can be shown once", async () => {
    const file = join(directory, "secrets.json");
    const first = await storedSecrets(file, ["identity:admin", "identity:client:svc-orders"]);
    expect(first.created).toEqual(["identity:admin", "identity:client:svc-orders"]);
    const again = await storedSecrets(file, ["identity:admin", "identity:client:svc-cart"]);
    expect(again.created).toEqual(["identity:client:svc-cart"]);
    expect(again.values["identity:admin"]).toBe(first.values["identity:admin"]);
  });
});
