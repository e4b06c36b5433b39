import { cursor, paint, type Style } from "./ansi.ts";
import { formatLogLine } from "./log-format.ts";
import type { ServiceStatus } from "./service-status.ts";
import { describeStatus, renderStatusTable } from "./status-table.ts";

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  /** A terminal's answer to "colours?" for an environment (tty.WriteStream's). */
  hasColors?: (env: object) => boolean;
}

/**
 * Whether an output takes colour: a terminal that has colours for `env` by Node's rules
 * (FORCE_COLOR, NO_COLOR, TERM=dumb — the rule `util.styleText` applies). A pipe, a file or a
 * test's writer gets plain text.
 */
export function colorsOn(output: Output, env: object): boolean {
  return output.isTTY === true && output.hasColors?.(env) === true;
}

export interface ConsoleOptions {
  output: Output;
  /** Redraw a status table in place (a terminal) rather than print a line per change. */
  live: boolean;
  color: boolean;
  /** Every source of lines, to align the prefixes and give each a colour. */
  sources: readonly string[];
  /** Shown above the live table. */
  title: string;
}

export interface ConsoleOutput {
  /** A line from the runner itself: progress, readiness, errors. */
  progress: (text: string) => void;
  /** A line a service (or PostgreSQL) printed; pino/ECS JSON is rendered compactly. */
  serviceLine: (source: string, line: string) => void;
  status: (statuses: readonly ServiceStatus[], changed: ServiceStatus) => void;
  /** Draws the table a last time and leaves it on screen. */
  close: () => void;
}

const RUNNER = "runner";
const PALETTE: readonly Style[] = ["cyan", "magenta", "yellow", "green", "blue"];

/** Everything the runner shows goes through here: prefixed, aligned lines and the live status table. */
export function createConsoleOutput(options: ConsoleOptions): ConsoleOutput {
  const { output, live, color } = options;
  const width = Math.max(RUNNER.length, ...options.sources.map((source) => source.length));
  const styles = new Map(
    options.sources.map((source, index) => [source, PALETTE[index % PALETTE.length] ?? "cyan"]),
  );
  const separator = color ? "│" : "|";
  const prefix = (source: string) =>
    `${paint(source.padEnd(width), source === RUNNER ? "bold" : (styles.get(source) ?? "cyan"), color)} ${separator} `;

  let statuses: readonly ServiceStatus[] = [];
  let drawnLines = 0;
  let closed = false;
  const printed = new Map<string, string>();

  const table = () =>
    renderStatusTable(statuses, {
      color,
      now: Date.now(),
      width: (output.columns ?? 120) - 1,
      title: options.title,
    });
  const draw = (lines: readonly string[]) => {
    const erase = cursor.eraseUp(drawnLines);
    const body = lines.length > 0 ? `${lines.join("\n")}\n` : "";
    const tableLines = live && !closed && statuses.length > 0 ? table() : [];
    drawnLines = tableLines.length;
    output.write(erase + body + (tableLines.length > 0 ? `${tableLines.join("\n")}\n` : ""));
  };
  const timer = live ? setInterval(() => draw([]), 1_000).unref() : undefined;
  // On a terminal, a burst of log lines is written (and the table redrawn) once per tick.
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    draw(lines);
  };

  return {
    progress(text) {
      flush();
      draw([prefix(RUNNER) + text]);
    },
    serviceLine(source, line) {
      const lines = formatLogLine(line, { color }).map((rendered) => prefix(source) + rendered);
      if (!live) return draw(lines);
      if (pending.length === 0) setImmediate(flush);
      pending.push(...lines);
    },
    status(all, changed) {
      statuses = all;
      flush();
      if (live) return draw([]);
      const key = `${changed.state}:${changed.pid ?? ""}`;
      if (printed.get(changed.name) === key) return;
      printed.set(changed.name, key);
      draw([prefix(RUNNER) + describeStatus(changed)]);
    },
    close() {
      clearInterval(timer);
      flush();
      if (live) draw([]);
      closed = true;
      drawnLines = 0;
    },
  };
}
