import type { ServiceStatus } from "./service-status.ts";
import type { Supervisor } from "./supervisor.ts";

/** Resolves once every supervised service is ready (status changes call the listeners), or rejects on `signal`. */
export function allReady(
  run: { supervisors: readonly Supervisor[]; statusListeners: Set<() => void> },
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      run.statusListeners.delete(check);
      reject(signal?.reason as Error);
    };
    const check = () => {
      if (!run.supervisors.every((supervisor) => supervisor.status.state === "ready")) return;
      run.statusListeners.delete(check);
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    run.statusListeners.add(check);
    signal?.addEventListener("abort", onAbort, { once: true });
    check();
  });
}

/** Which services are not ready yet, and why, for an error message; "" when all are. */
export function notReady(supervisors: readonly Supervisor[]): string {
  const waiting = supervisors
    .map((supervisor) => supervisor.status)
    .filter((status) => status.state !== "ready");
  if (waiting.length === 0) return "";
  const describe = (status: ServiceStatus) =>
    `${status.name} ${status.state}${status.message ? ` (${status.message})` : ""}`;
  return `: ${waiting.map(describe).join("; ")}`;
}
