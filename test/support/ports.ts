import { findBusyPorts } from "@tessera/dev-runner/ports";
import { PORTS, POSTGRES_PORT } from "../../tools/dev-runner/src/services.ts";

/**
 * An offset that moves every port the runner binds (gRPC, ops, PostgreSQL) clear of a developer's
 * running system and of the runner's own tests. The runner accepts offsets up to 10,000 (and the
 * PostgreSQL port must stay below 65,536), so the offset is random in 1,000–10,000, retried while
 * any of its ports is taken.
 */
export async function choosePortOffset(avoid: number): Promise<number> {
  const basePorts = [
    POSTGRES_PORT,
    ...Object.values(PORTS).flatMap((ports) => ("grpc" in ports ? [ports.grpc, ports.ops] : [ports.ops])),
  ];
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 1_000 + Math.floor(Math.random() * 9_001);
    const ports = basePorts.map((port) => port + offset);
    if (ports.includes(avoid)) continue;
    const claims = ports.map((port) => ({ port, host: "0.0.0.0", label: String(port) }));
    if ((await findBusyPorts(claims)).length === 0) return offset;
  }
  throw new Error("found no port offset whose ports are all free in 50 tries");
}
