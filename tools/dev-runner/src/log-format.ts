import { paint, type Style } from "./ansi.ts";

export interface FormatOptions {
  color: boolean;
}

/** Fields every line carries or that the compact form already shows. */
const HIDDEN = new Set([
  "@timestamp",
  "time",
  "log.level",
  "level",
  "message",
  "msg",
  "ecs.version",
  "process.pid",
  "pid",
  "host.hostname",
  "hostname",
  "service.name",
  "event.dataset",
  "log.logger",
  "v",
  "error",
  "err",
]);

const PINO_LEVELS: Readonly<Record<number, string>> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

const LEVEL_STYLES: Readonly<Record<string, Style>> = {
  trace: "gray",
  debug: "gray",
  info: "green",
  warn: "yellow",
  error: "red",
  fatal: "magenta",
};

const MAX_VALUE = 80;

/**
 * Renders a pino/ECS JSON log line as `<time> <level> <message> key=value…` (plus the stack of a
 * logged error on the following lines); anything that is not such a line comes back unchanged.
 *
 * @example
 *   formatLogLine('{"log.level":"info","@timestamp":"2026-01-02T03:04:05.678Z","message":"started","rpc.port":50051}', { color: false })
 *   // ["03:04:05.678 info  started rpc.port=50051"]
 */
export function formatLogLine(line: string, { color }: FormatOptions): string[] {
  const record = parseRecord(line);
  if (!record) return [line];
  const level = levelOf(record);
  const fields = Object.entries(flatten(record))
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${renderValue(value)}`);
  const error = errorOf(record);
  if (error) fields.unshift(`error=${renderValue(error.summary)}`);
  const head = [
    paint(timeOf(record), "dim", color),
    paint(level.padEnd(5), LEVEL_STYLES[level] ?? "bold", color),
    messageOf(record),
    ...fields.map((field) => paint(field, "dim", color)),
  ].filter((part) => part !== "");
  return [head.join(" "), ...(error?.stack ?? []).map((frame) => paint(`    ${frame.trim()}`, "dim", color))];
}

type JsonObject = Record<string, unknown>;

function parseRecord(line: string): JsonObject | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const record = value as JsonObject;
    const looksLikeLog = "log.level" in record || "level" in record || "message" in record || "msg" in record;
    return looksLikeLog ? record : undefined;
  } catch {
    return undefined;
  }
}

function levelOf(record: JsonObject): string {
  const level = record["log.level"] ?? record["level"];
  if (typeof level === "number") return PINO_LEVELS[level] ?? String(level);
  return typeof level === "string" ? level.toLowerCase() : "info";
}

function messageOf(record: JsonObject): string {
  const message = record["message"] ?? record["msg"];
  return typeof message === "string" ? message : message === undefined ? "" : JSON.stringify(message);
}

function timeOf(record: JsonObject): string {
  const time = record["@timestamp"] ?? record["time"];
  const date = typeof time === "string" || typeof time === "number" ? new Date(time) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString().slice(11, 23) : "";
}

function errorOf(record: JsonObject): { summary: string; stack: string[] } | undefined {
  const error = record["error"] ?? record["err"];
  if (typeof error !== "object" || error === null) return undefined;
  const { type, message, stack_trace: ecsStack, stack } = error as JsonObject;
  const summary = [type, message].filter((part) => typeof part === "string" && part !== "").join(": ");
  const trace = typeof ecsStack === "string" ? ecsStack : typeof stack === "string" ? stack : "";
  // The first line of a V8 stack repeats "Type: message", which the summary already shows.
  return {
    summary,
    stack: trace
      .split("\n")
      .slice(1)
      .filter((frame) => frame.trim() !== ""),
  };
}

function flatten(record: JsonObject, prefix = "", depth = 0): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    const path = prefix + key;
    const nested = typeof value === "object" && value !== null && !Array.isArray(value);
    if (nested && depth < 3 && !HIDDEN.has(path))
      Object.assign(out, flatten(value as JsonObject, `${path}.`, depth + 1));
    else out[path] = value;
  }
  return out;
}

function renderValue(value: unknown): string {
  const text =
    typeof value === "string" && /^[^\s"=]+$/.test(value)
      ? value
      : typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}
