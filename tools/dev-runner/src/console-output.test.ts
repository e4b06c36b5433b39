import { WriteStream } from "node:tty";
import { describe, expect, it } from "vitest";
import { colorsOn, createConsoleOutput } from "./console-output.ts";
import type { ServiceStatus } from "./service-status.ts";

function capture() {
  const chunks: string[] = [];
  return { chunks, output: { write: (text: string) => chunks.push(text), columns: 100 } };
}

const status = (patch: Partial<ServiceStatus>): ServiceStatus => ({
  name: "catalog",
  state: "starting",
  pid: 7,
  port: 50051,
  opsPort: 9051,
  restarts: 0,
  message: undefined,
  since: Date.now(),
  ...patch,
});

describe("console output without a terminal", () => {
  it("prefixes every line with its source, aligned, and renders JSON logs", () => {
    const { chunks, output } = capture();
    const ui = createConsoleOutput({
      output,
      live: false,
      color: false,
      sources: ["postgres", "catalog"],
      title: "",
    });
    ui.progress("starting PostgreSQL…");
    ui.serviceLine("catalog", JSON.stringify({ "log.level": "info", message: "catalog started" }));
    ui.serviceLine("postgres", "LOG:  database system is ready");
    expect(chunks.join("")).toBe(
      "runner   | starting PostgreSQL…\ncatalog  | info  catalog started\npostgres | LOG:  database system is ready\n",
    );
  });

  it("prints one line per change of state", () => {
    const { chunks, output } = capture();
    const ui = createConsoleOutput({ output, live: false, color: false, sources: ["catalog"], title: "" });
    const starting = status({});
    ui.status([starting], starting);
    ui.status([starting], { ...starting, since: 1 }); // no change of state
    const ready = status({ state: "ready" });
    ui.status([ready], ready);
    expect(chunks).toEqual([
      "runner  | catalog: starting (pid 7, port 50051, ops 9051)\n",
      "runner  | catalog: ready (pid 7, port 50051, ops 9051)\n",
    ]);
  });
});

describe("console output on a terminal", () => {
  it("keeps the status table at the bottom, redrawing it in place", () => {
    const { chunks, output } = capture();
    const ui = createConsoleOutput({
      output,
      live: true,
      color: true,
      sources: ["catalog"],
      title: "Tessera",
    });
    const starting = status({});
    ui.status([starting], starting);
    ui.serviceLine("catalog", "hello");
    ui.close();
    const table = chunks[0] ?? "";
    const tableLines = table.split("\n").length - 1;
    expect(tableLines).toBe(4); // rule, title, header, one row
    // The log line erases the table (cursor up, clear), prints itself, then draws the table again.
    expect(chunks[1]?.startsWith(`\x1b[${tableLines}F\x1b[J`)).toBe(true);
    expect(chunks[1]).toContain("hello\n");
    expect(chunks[1]?.endsWith(table)).toBe(true);
  });

  it("writes a burst of log lines, and redraws the table, once", async () => {
    const { chunks, output } = capture();
    const ui = createConsoleOutput({
      output,
      live: true,
      color: false,
      sources: ["catalog"],
      title: "Tessera",
    });
    const starting = status({});
    ui.status([starting], starting);
    for (const n of [1, 2, 3]) ui.serviceLine("catalog", `line ${n}`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toContain("catalog | line 1\ncatalog | line 2\ncatalog | line 3\n");
    ui.close();
  });
});

describe("colour", () => {
  /** A terminal as Node sees one: its own rule for colours, asked with the environment given. */
  const terminal = {
    write: () => true,
    isTTY: true,
    hasColors: (env: object) => WriteStream.prototype.hasColors.call({}, 16, env),
  };

  it("is on for a terminal that has colours", () => {
    expect(colorsOn(terminal, { TERM: "xterm-256color" })).toBe(true);
  });

  it("is off for NO_COLOR, FORCE_COLOR=0 and a dumb terminal", () => {
    expect(colorsOn(terminal, { TERM: "xterm-256color", NO_COLOR: "1" })).toBe(false);
    expect(colorsOn(terminal, { TERM: "xterm-256color", FORCE_COLOR: "0" })).toBe(false);
    expect(colorsOn(terminal, { TERM: "dumb" })).toBe(false);
  });

  it("is off for anything that is not a terminal, FORCE_COLOR or not", () => {
    const env = { TERM: "xterm-256color", FORCE_COLOR: "1" };
    expect(colorsOn({ ...terminal, isTTY: false }, env)).toBe(false);
    expect(colorsOn({ write: () => true }, env)).toBe(false);
  });
});
