import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { GetOutboxStatusResponseSchema } from "@tessera/contracts/events/v1";
import type { Db } from "../db.ts";
import { outboxStats } from "./relay.ts";
import { headPosition, knownConsumers } from "./retention.ts";
import type { TransportHealth } from "./transport-health.ts";

/**
 * Whether this service's events leave it, for the consistency checker and operators: the
 * undelivered outbox, the failing parts of the transport and, over the direct transport, what
 * each known consumer has not acknowledged.
 */
export async function outboxStatus(
  db: Db,
  { transport, retentionMs, health }: { transport: string; retentionMs: number; health: TransportHealth },
): Promise<MessageInitShape<typeof GetOutboxStatusResponseSchema>> {
  const [stats, head, consumers] = await Promise.all([
    outboxStats(db.pool.query.bind(db.pool)),
    headPosition(db),
    transport === "direct" ? knownConsumers(db, retentionMs) : Promise.resolve([]),
  ]);
  return {
    transport,
    undelivered: BigInt(stats.depth),
    oldestUndeliveredAge: durationFromMs(Math.round(stats.oldestAgeSeconds * 1000)),
    headPosition: head,
    problems: health.problems().map((problem) => ({
      component: problem.component,
      failingFor: durationFromMs(problem.failingMs),
      error: problem.error,
    })),
    consumers: consumers.map((known) => ({
      consumer: known.consumer,
      acknowledgedPosition: known.acknowledged,
      unacknowledged: BigInt(known.unacknowledged),
      oldestUnacknowledgedAge: durationFromMs(Math.round(known.oldestUnacknowledgedAgeSeconds * 1000)),
      behindRetention: known.pastRetention > 0,
    })),
  };
}
