import { createDb } from "@tessera/kit";
import type {
  AuthorizeRequest,
  CallOptions,
  CaptureRequest,
  CardProcessor,
  RefundRequest,
  VoidRequest,
} from "../card-processor.ts";

/** What a probed processor saw. */
export interface ProbeReport {
  calls: number;
  /** The most calls that were in flight at one moment. */
  maxInFlight: number;
  /** Transactions of the watched database that stayed open, idle, across a whole processor call. */
  openTransactions: { operation: string; query: string }[];
}

export interface ProcessorProbe extends CardProcessor {
  report(): ProbeReport;
  /** Starts a new report. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A stand-in card processor for tests: it forwards every call to `processor` and, around each,
 * asks PostgreSQL for the sessions of `applicationName` (the service's pool) on the watched
 * database. A session idle in a transaction since before the call began, and still so when it
 * ends, is a transaction held open across the network call — what payments must never do. (A
 * transaction's own statements move its `state_change`, so one that merely runs beside the call
 * is not counted.) It also counts calls in flight.
 */
export function probeProcessor(
  processor: CardProcessor,
  databaseUrl: string,
  applicationName = "payments",
): ProcessorProbe {
  const db = createDb({ connectionString: databaseUrl, max: 4, applicationName: "processor-probe" });
  let report: ProbeReport = { calls: 0, maxInFlight: 0, openTransactions: [] };
  let inFlight = 0;

  async function watched<T>(operation: string, call: () => Promise<T>): Promise<T> {
    inFlight++;
    report.calls++;
    report.maxInFlight = Math.max(report.maxInFlight, inFlight);
    try {
      const { rows } = await db.query<{ now: Date }>("SELECT clock_timestamp() AS now");
      const startedAt = rows[0]!.now;
      // A failed call (a timeout) is checked too: the transaction would have waited just as long.
      const outcome = await call().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      const open = await db.query<{ query: string }>(
        `SELECT query FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = $2
            AND state = 'idle in transaction' AND state_change < $1`,
        [startedAt, applicationName],
      );
      for (const row of open.rows) report.openTransactions.push({ operation, query: row.query });
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    } finally {
      inFlight--;
    }
  }

  return {
    authorize: (request: AuthorizeRequest, options: CallOptions) =>
      watched("authorize", () => processor.authorize(request, options)),
    capture: (request: CaptureRequest, options: CallOptions) =>
      watched("capture", () => processor.capture(request, options)),
    void: (request: VoidRequest, options: CallOptions) =>
      watched("void", () => processor.void(request, options)),
    refund: (request: RefundRequest, options: CallOptions) =>
      watched("refund", () => processor.refund(request, options)),
    report: () => ({ ...report, openTransactions: [...report.openTransactions] }),
    reset() {
      report = { calls: 0, maxInFlight: inFlight, openTransactions: [] };
    },
    close: () => db.close(),
  };
}
