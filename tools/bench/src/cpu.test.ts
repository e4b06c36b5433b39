import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { cpuPerOrder, readCpu } from "./cpu.ts";

describe("readCpu", () => {
  it("reads a process's CPU time, growing as it works, and a parent's children that exited", async () => {
    const before = await readCpu({ self: process.pid });
    const until = performance.now() + 300;
    while (performance.now() < until); // burn ~300 ms of CPU
    const after = await readCpu({ self: process.pid });
    expect(after.get("self")! - before.get("self")!).toBeGreaterThanOrEqual(100);

    // A child that burns CPU and exits: counted under its parent (as exited backends are under the postmaster).
    const parent = spawn(process.execPath, [
      "-e",
      `const c = require("node:child_process").spawn(process.execPath, ["-e", "const u = Date.now() + 300; while (Date.now() < u);"]);
       c.on("exit", () => setTimeout(() => {}, 60_000)); process.stdout.write("started\\n");
       c.on("exit", () => process.stdout.write("child exited\\n"));`,
    ]);
    try {
      let output = "";
      parent.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      while (!output.includes("child exited")) await once(parent.stdout, "data");
      const server = await readCpu({}, parent.pid);
      expect(server.get("postgres")).toBeGreaterThanOrEqual(100);
    } finally {
      parent.kill();
    }
  });

  it("reads 0 for a process that is gone", async () => {
    expect((await readCpu({ gone: 2 ** 22 + 1 })).get("gone")).toBe(0);
  });
});

describe("cpuPerOrder", () => {
  it("divides each process's CPU by the orders, largest first, with the total", () => {
    const before = new Map([
      ["orders", 1_000],
      ["postgres", 5_000],
    ]);
    const after = new Map([
      ["orders", 1_500],
      ["postgres", 7_000],
      ["cart", 100],
    ]);
    expect(cpuPerOrder(before, after, 10)).toEqual([
      ["total", 260],
      ["postgres", 200],
      ["orders", 50],
      ["cart", 10],
    ]);
  });
});
