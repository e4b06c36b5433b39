import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { problemTypes, problemTypesTable } from "./problem-types.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** Every test file of the services and the system tests, but this one, by path from the root. */
async function testFiles(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const top of ["services", "test"]) {
    for (const entry of await readdir(join(root, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".test.ts") || entry.parentPath.includes("node_modules"))
        continue;
      const path = join(entry.parentPath, entry.name);
      if (path !== fileURLToPath(import.meta.url))
        found.set(relative(root, path), await readFile(path, "utf8"));
    }
  }
  return found;
}

describe("the table of problem types", () => {
  it("has, for every type, a test that triggers it: the gateway answering with it, or a service raising its reason", async () => {
    const files = [...(await testFiles())];
    const untriggered = Object.keys(problemTypes).filter(
      (name) =>
        !files.some(
          ([path, text]) =>
            text.includes(`"urn:tessera:problem:${name}"`) ||
            (!path.startsWith("services/gateway/") && text.includes(`reason: "${name}"`)),
        ),
    );
    expect(untriggered).toEqual([]);
  });

  it("gives every type a title, a status that is an error, and says when it happens", () => {
    for (const [name, type] of Object.entries(problemTypes)) {
      expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(type.status).toBeGreaterThanOrEqual(400);
      expect(type.title.length).toBeGreaterThan(0);
      expect(type.when.length).toBeGreaterThan(10);
    }
  });

  it("is listed, row for row, in the gateway README", async () => {
    const readme = await readFile(join(root, "services/gateway/README.md"), "utf8");
    const cells = (row: string) =>
      row
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim());
    const rows = readme.split("\n").filter((line) => line.startsWith("| `urn:tessera:problem:"));
    expect(rows.map(cells)).toEqual(
      Object.entries(problemTypes).map(([name, t]) => [
        `\`urn:tessera:problem:${name}\``,
        String(t.status),
        t.title,
        t.when,
      ]),
    );
  });

  it("is one Markdown row per type", () => {
    const rows = problemTypesTable().split("\n");
    expect(rows).toHaveLength(Object.keys(problemTypes).length + 2);
    expect(rows).toContain(
      `| \`urn:tessera:problem:cart-empty\` | 409 | Cart empty | ${problemTypes["cart-empty"].when} |`,
    );
  });
});
