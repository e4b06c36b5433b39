import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const committed = join(root, "packages/contracts/src/gen");
const bin = join(root, "node_modules/.bin");

async function files(directory: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    found.set(relative(directory, path), await readFile(path, "utf8"));
  }
  return found;
}

describe("generated contracts", () => {
  let scratch = "";
  afterAll(() => (scratch ? rm(scratch, { recursive: true, force: true }) : undefined));

  it("match what `npm run contracts` generates from proto/ (run it after editing a .proto)", async () => {
    scratch = await mkdtemp(join(tmpdir(), "tessera-contracts-"));
    // buf prepends --output to the template's `out` (../packages/contracts/src/gen), relative to proto/.
    const output = join(scratch, "proto");
    await promisify(execFile)(join(bin, "buf"), ["generate", "--output", output], {
      cwd: join(root, "proto"),
      env: { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}` },
    });
    const fresh = await files(join(dirname(output), "packages/contracts/src/gen"));
    const current = await files(committed);
    expect([...current.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [path, text] of fresh) expect(current.get(path), `${path} is stale`).toBe(text);
  });
});
