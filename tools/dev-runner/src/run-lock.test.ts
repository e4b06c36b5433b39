import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive, waitForExit } from "./processes.ts";
import { acquireRunLock, RunLockedError } from "./run-lock.ts";

describe("run lock", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "tessera-lock-"));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it("refuses a second runner while the first is alive, and is free again once released", async () => {
    const lock = await acquireRunLock(directory, () => {});
    await expect(acquireRunLock(directory, () => {})).rejects.toThrow(RunLockedError);
    lock.release();
    (await acquireRunLock(directory, () => {})).release();
  });

  it("stops what a killed runner left behind, and only that", async () => {
    const marker = "tessera-leftover-marker";
    const leftover = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", marker], {
      detached: true,
      stdio: "ignore",
    });
    const unrelated = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const dead = { pid: 999_999, command: "node gone", processes: [] as unknown[] };
    dead.processes.push(
      { name: "leftover", pid: leftover.pid, marker, group: true, stopSignal: "SIGTERM" },
      { name: "unrelated", pid: unrelated.pid, marker, group: false, stopSignal: "SIGTERM" },
    );
    await writeFile(join(directory, "dev-runner.lock"), JSON.stringify(dead));
    const messages: string[] = [];
    try {
      const lock = await acquireRunLock(directory, (text) => messages.push(text));
      expect(await waitForExit(leftover.pid!, 2_000)).toBe(true);
      expect(await isAlive(unrelated.pid!)).toBe(true);
      expect(messages).toEqual([expect.stringContaining(`stopping leftover (pid ${leftover.pid})`)]);
      lock.record({ name: "x", pid: 1234, marker: "x", group: false, stopSignal: "SIGINT" });
      const saved = JSON.parse(await readFile(join(directory, "dev-runner.lock"), "utf8")) as { pid: number };
      expect(saved).toMatchObject({ pid: process.pid, processes: [{ pid: 1234, marker: "x" }] });
      lock.release();
    } finally {
      unrelated.kill("SIGKILL");
      leftover.kill("SIGKILL");
    }
  });
});
