import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { formatLogLine } from "./log-format.ts";

const plain = { color: false };

describe("formatLogLine", () => {
  it("renders an ECS line as time, level, message and its own fields", () => {
    const line = JSON.stringify({
      "log.level": "info",
      "@timestamp": "2026-11-25T21:10:41.059Z",
      "process.pid": 7677,
      "host.hostname": "vm",
      "ecs.version": "8.10.0",
      "service.name": "catalog",
      "event.dataset": "catalog",
      "rpc.port": 50051,
      "ops.port": 9051,
      message: "catalog started",
    });
    expect(formatLogLine(line, plain)).toEqual([
      "21:10:41.059 info  catalog started rpc.port=50051 ops.port=9051",
    ]);
  });

  it("flattens nested fields and quotes values with spaces", () => {
    const line = JSON.stringify({
      "log.level": "warn",
      message: "slow query",
      db: { statement: "SELECT 1", rows: 3 },
      ok: false,
    });
    expect(formatLogLine(line, plain)).toEqual([
      'warn  slow query db.statement="SELECT 1" db.rows=3 ok=false',
    ]);
  });

  it("shows a logged error as type and message, then its stack below", () => {
    const line = JSON.stringify({
      "log.level": "error",
      "@timestamp": "2026-11-25T21:10:41.060Z",
      error: {
        type: "Error",
        message: "boom",
        stack_trace: "Error: boom\n    at main (file:///x.ts:4:18)\n    at run",
      },
      message: "failed",
    });
    expect(formatLogLine(line, plain)).toEqual([
      '21:10:41.060 error failed error="Error: boom"',
      "    at main (file:///x.ts:4:18)",
      "    at run",
    ]);
  });

  it("understands classic pino lines too", () => {
    const line = JSON.stringify({
      level: 50,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      pid: 1,
      hostname: "h",
      msg: "down",
    });
    expect(formatLogLine(line, plain)).toEqual(["03:04:05.006 error down"]);
  });

  it("cuts long values short", () => {
    const line = JSON.stringify({ "log.level": "info", message: "m", blob: "x".repeat(200) });
    const [rendered] = formatLogLine(line, plain);
    expect(rendered).toBe(`info  m blob=${"x".repeat(79)}…`);
  });

  it("passes anything else through unchanged", () => {
    for (const line of ["plain text", "{not json", '{"just":"data"}', "[1,2]", "", "  at frame"]) {
      expect(formatLogLine(line, plain)).toEqual([line]);
    }
  });

  it("colours the level on a terminal without changing the text", () => {
    const line = JSON.stringify({ "log.level": "error", message: "bad" });
    const [rendered = ""] = formatLogLine(line, { color: true });
    expect(rendered).toContain("\x1b[31m");
    expect(stripVTControlCharacters(rendered)).toBe("error bad");
  });
});
