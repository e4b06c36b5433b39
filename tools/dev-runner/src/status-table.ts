import { paint, truncateVisible, type Style } from "./ansi.ts";
import type { ServiceState, ServiceStatus } from "./service-status.ts";

export interface TableOptions {
  color: boolean;
  now: number;
  /** Terminal width; longer lines are cut so the table redraws cleanly. */
  width: number;
  /** Shown above the table (e.g. the storefront URL). */
  title: string;
}

const STATE_STYLES: Readonly<Record<ServiceState, Style>> = {
  starting: "yellow",
  restarting: "yellow",
  ready: "green",
  crashed: "red",
  stopped: "gray",
};

const COLUMNS = ["SERVICE", "STATE", "PID", "PORT", "OPS", "RESTARTS", "FOR", "MESSAGE"] as const;

/** The live status block drawn at the bottom of a terminal: a title, a header and a row per service. */
export function renderStatusTable(statuses: readonly ServiceStatus[], options: TableOptions): string[] {
  const rows = statuses.map((status) => [
    status.name,
    `● ${status.state}`,
    status.pid === undefined ? "-" : String(status.pid),
    status.port === undefined ? "-" : String(status.port),
    String(status.opsPort),
    String(status.restarts),
    formatDuration(options.now - status.since),
    status.message ?? "",
  ]);
  const widths = COLUMNS.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[], styleCell: (cell: string, column: number) => string) =>
    truncateVisible(
      cells
        .map((cell, column) =>
          styleCell(column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0), column),
        )
        .join("  ")
        .trimEnd(),
      options.width,
    );
  const header = line(COLUMNS, (cell) => paint(cell, "dim", options.color));
  const body = rows.map((row, index) =>
    line(row, (cell, column) => {
      const state = statuses[index]?.state ?? "stopped";
      if (column === 1) return paint(cell, STATE_STYLES[state], options.color);
      if (column === 0) return paint(cell, "bold", options.color);
      return column === 7 && state === "crashed" ? paint(cell, "red", options.color) : cell;
    }),
  );
  const rule = paint("─".repeat(Math.max(0, Math.min(options.width, 100))), "dim", options.color);
  return [rule, truncateVisible(options.title, options.width), header, ...body];
}

/** One line per status change, for output that is not a terminal (CI, tests, a pipe). */
export function describeStatus(status: ServiceStatus): string {
  const details = [
    status.pid === undefined ? undefined : `pid ${status.pid}`,
    status.port === undefined ? undefined : `port ${status.port}`,
    `ops ${status.opsPort}`,
    status.restarts > 0 ? `restarts ${status.restarts}` : undefined,
  ].filter((detail) => detail !== undefined);
  const message = status.message ? ` — ${status.message}` : "";
  return `${status.name}: ${status.state} (${details.join(", ")})${message}`;
}

/** 4s, 3m05s, 2h07m. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}
