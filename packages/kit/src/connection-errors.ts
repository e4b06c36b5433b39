// Socket errors meaning "nobody answered" or "the line dropped" — not EACCES, ENOENT and the like,
// which are bugs or configuration and must stay `internal`.
const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

// SQLSTATE: class 08 is "connection exception"; 57P01-57P03 are the server shutting down, crashing
// or still starting up (recovering from its WAL); 53300 is "too many connections". Each passes.
const serverCodes = new Set(["57P01", "57P02", "57P03", "53300"]);

// pg and pg-pool report a lost or timed-out connection with a message and no code.
const pgMessages =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|timeout expired|Client has encountered a connection error and is not queryable)$/;

/**
 * Whether `error` says a database connection could not be made or was lost — the server is down,
 * restarting, recovering from a crash or out of connection slots — rather than that a statement
 * failed. Such a failure passes by itself: it is `unavailable` to a caller, never `internal`, and
 * worth retrying later. Looks through `cause` chains (a failed migration wraps its error) and
 * AggregateErrors (a refused connection to every address of a host).
 *
 * @example
 *   isConnectionFailure(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })); // true
 *   isConnectionFailure(Object.assign(new Error("duplicate key"), { code: "23505" })); // false
 */
export function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (networkCodes.has(code) || serverCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (code === undefined && pgMessages.test(error.message)) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isConnectionFailure(inner, depth + 1)))
    return true;
  return isConnectionFailure(error.cause, depth + 1);
}
