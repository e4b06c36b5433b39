import { existsSync } from "node:fs";
import { join } from "node:path";
import { findBusyPorts, type PortClaim } from "./ports.ts";
import type { PlannedService } from "./service-plan.ts";
import { entryPoint } from "./services.ts";

/** Fails before anything starts when a service's entry point is missing. */
export function checkEntryPoints(repoRoot: string, plan: readonly PlannedService[]): void {
  const missing = [...new Set(plan.map((service) => entryPoint(service.service)))].filter(
    (path) => !existsSync(join(repoRoot, path)),
  );
  if (missing.length > 0) throw new Error(`cannot start: ${missing.join(", ")} not found`);
}

/** Fails before anything starts when a port a service will bind is taken, naming the way out. */
export async function checkPortsFree(
  plan: readonly PlannedService[],
  extra: readonly PortClaim[] = [],
): Promise<void> {
  const claim = (port: number | undefined, label: string): PortClaim[] =>
    port === undefined ? [] : [{ port, host: "0.0.0.0", label }];
  const claims = plan.flatMap((service) => [
    ...claim(service.grpcPort, `${service.name} gRPC`),
    ...claim(service.httpPort, `${service.name} HTTP`),
    ...claim(service.opsPort, `${service.name} ops`),
  ]);
  const busy = await findBusyPorts([...claims, ...extra]);
  if (busy.length === 0) return;
  throw new Error(
    `ports in use: ${busy.map(({ port, label }) => `${port} (${label})`).join(", ")}. Is Tessera already ` +
      `running? Stop it, or run a second one with TESSERA_PORT_OFFSET and GATEWAY_PORT.`,
  );
}
