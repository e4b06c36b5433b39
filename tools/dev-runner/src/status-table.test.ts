import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import type { ServiceStatus } from "./service-status.ts";
import { describeStatus, formatDuration, renderStatusTable } from "./status-table.ts";

const now = Date.UTC(2026, 0, 1, 12, 0, 0);
const catalog: ServiceStatus = {
  name: "catalog",
  state: "ready",
  pid: 4242,
  port: 50051,
  opsPort: 9051,
  restarts: 0,
  message: undefined,
  since: now - 65_000,
};
const gateway: ServiceStatus = {
  name: "gateway",
  state: "crashed",
  pid: undefined,
  port: 8080,
  opsPort: 9080,
  restarts: 2,
  message: "gateway: invalid configuration: CATALOG_ADDR: must be host:port",
  since: now - 3_000,
};

describe("renderStatusTable", () => {
  it("lines up a row per service under a title and a header", () => {
    const lines = renderStatusTable([catalog, gateway], { color: false, now, width: 200, title: "Tessera" });
    expect(lines.slice(1)).toEqual([
      "Tessera",
      "SERVICE  STATE      PID   PORT   OPS   RESTARTS  FOR    MESSAGE",
      "catalog  ● ready    4242  50051  9051  0         1m05s",
      "gateway  ● crashed  -     8080   9080  2         3s     gateway: invalid configuration: CATALOG_ADDR: must be host:port",
    ]);
  });

  it("cuts every line to the terminal width, colour or not", () => {
    const lines = renderStatusTable([catalog, gateway], { color: true, now, width: 40, title: "Tessera" });
    for (const line of lines) expect(stripVTControlCharacters(line).length).toBeLessThanOrEqual(40);
    expect(stripVTControlCharacters(lines[4] ?? "")).toBe("gateway  ● crashed  -     8080   9080  …");
  });
});

describe("describeStatus", () => {
  it("says what changed in one line", () => {
    expect(describeStatus(catalog)).toBe("catalog: ready (pid 4242, port 50051, ops 9051)");
    expect(describeStatus(gateway)).toBe(
      "gateway: crashed (port 8080, ops 9080, restarts 2) — gateway: invalid configuration: CATALOG_ADDR: must be host:port",
    );
  });
});

describe("formatDuration", () => {
  it("uses the two largest units", () => {
    expect([0, 4_999, 65_000, 3_600_000 + 420_000].map(formatDuration)).toEqual([
      "0s",
      "4s",
      "1m05s",
      "1h07m",
    ]);
  });
});
