import type { BufferedSpan } from "@tessera/kit";

const traceIdPattern = /^[0-9a-f]{32}$/i;

/**
 * The spans of one trace from every service's ops port (`GET /spans`). `id` is a trace id, or an
 * order id: then the trace is the one whose span carries that order id (orders marks PlaceOrder's).
 * A service that does not answer is named in `unreachable` and the rest are still drawn.
 *
 * @example
 *   const { spans } = await gatherTrace(["http://127.0.0.1:9054"], orderId);
 */
export async function gatherTrace(
  opsUrls: readonly string[],
  id: string,
): Promise<{ traceId: string | undefined; spans: BufferedSpan[]; unreachable: string[] }> {
  const unreachable: string[] = [];
  const ask = async (query: string) =>
    Promise.all(
      opsUrls.map(async (url) => {
        try {
          const response = await fetch(`${url}/spans?${query}`, { signal: AbortSignal.timeout(5_000) });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          return (await response.json()) as { traceId: string | null; spans: BufferedSpan[] };
        } catch {
          if (!unreachable.includes(url)) unreachable.push(url);
          return { traceId: null, spans: [] };
        }
      }),
    );
  let traceId: string | undefined = traceIdPattern.test(id) ? id.toLowerCase() : undefined;
  if (!traceId) {
    const found = await ask(`order_id=${encodeURIComponent(id)}`);
    traceId = found.map((answer) => answer.traceId).find((candidate) => candidate !== null);
  }
  if (!traceId) return { traceId, spans: [], unreachable };
  const answers = await ask(`trace_id=${traceId}`);
  const spans = answers.flatMap((answer) => answer.spans).sort((a, b) => a.startMs - b.startMs);
  return { traceId, spans, unreachable };
}
