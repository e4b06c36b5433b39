import type { BufferedSpan } from "@tessera/kit";

const kinds = ["internal", "server", "client", "producer", "consumer"];

/**
 * One trace as a terminal waterfall: a row per span, children under their parent in start order,
 * with the service, the span, its start offset from the trace's first span, its duration, its
 * status and a bar placing it on the trace's time line.
 *
 * @example
 *   process.stdout.write(drawWaterfall(spans, { width: 40 }));
 */
export function drawWaterfall(spans: readonly BufferedSpan[], { width = 40 } = {}): string {
  if (spans.length === 0) return "no spans\n";
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  const total = Math.max(end - start, 0.001);
  const rows = ordered(spans);
  const label = (span: BufferedSpan, depth: number) =>
    `${"  ".repeat(depth)}${span.name} (${kinds[span.kind]})`;
  const serviceWidth = Math.max(7, ...rows.map(({ span }) => span.service.length));
  const nameWidth = Math.min(96, Math.max(4, ...rows.map(({ span, depth }) => label(span, depth).length)));
  const header =
    `trace ${spans[0]!.traceId}: ${spans.length} spans, ${services(spans)} services, ${ms(total)}\n` +
    `${"service".padEnd(serviceWidth)}  ${"span".padEnd(nameWidth)}  ${"start".padStart(9)}  ${"duration".padStart(9)}  status\n`;
  const lines = rows.map(({ span, depth }) => {
    const from = Math.floor(((span.startMs - start) / total) * width);
    const length = Math.max(1, Math.round((span.durationMs / total) * width));
    const bar = " ".repeat(from) + "█".repeat(Math.min(length, width - from));
    return (
      `${span.service.padEnd(serviceWidth)}  ${label(span, depth).slice(0, nameWidth).padEnd(nameWidth)}  ` +
      `${ms(span.startMs - start).padStart(9)}  ${ms(span.durationMs).padStart(9)}  ` +
      `${span.status.split(":")[0]!.padEnd(6)} |${bar.padEnd(width)}|`
    );
  });
  return header + lines.join("\n") + "\n";
}

/** Depth-first from the roots (spans whose parent is not in the trace), siblings by start time. */
function ordered(spans: readonly BufferedSpan[]): { span: BufferedSpan; depth: number }[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, BufferedSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const rows: { span: BufferedSpan; depth: number }[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      rows.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return rows;
}

function services(spans: readonly BufferedSpan[]): number {
  return new Set(spans.map((s) => s.service)).size;
}

function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}
