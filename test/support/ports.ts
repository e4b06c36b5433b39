import { findFreePortOffset } from "@tessera/dev-runner/system-ports";

/**
 * An offset that moves every port the runner binds (gRPC, ops, PostgreSQL) clear of a developer's
 * running system and of the runner's own tests, and of `avoid` (the gateway's port).
 */
export function choosePortOffset(avoid: number): Promise<number> {
  return findFreePortOffset({ avoid: [avoid] });
}
