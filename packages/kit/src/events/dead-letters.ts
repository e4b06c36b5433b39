import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ListDeadLettersRequest, ListDeadLettersResponseSchema } from "@tessera/contracts/events/v1";
import { z } from "zod";
import type { Db } from "../db.ts";
import { ServiceError } from "../errors.ts";
import { pageOf } from "../page-of.ts";
import { createPageTokens, pageSizeOf, type PageTokenKey, type PageTokens } from "../page-token.ts";
import { eventToMessage } from "./cloudevents.ts";
import { envelopeFromJson } from "./envelope.ts";

export interface DeadLetterRow {
  id: bigint;
  consumer: string;
  event: unknown;
  error: string;
  attempts: number;
  created_at: Date;
}

export const deadLetterColumns = "id, consumer, event, error, attempts, created_at";

// Subscription names are short ("orders/saga"); a longer filter could not fit in a page token.
const maxConsumerLength = 200;

// Where the next page starts: below the last id served, for the consumer filter it was issued for.
const cursor = z.object({ consumer: z.string(), before: z.string().regex(/^[1-9]\d{0,18}$/) });

export type DeadLetterPageTokens = PageTokens<z.infer<typeof cursor>>;

/** The page tokens of ListDeadLetters, sealed with the service's key. */
export function deadLetterPageTokens(key: PageTokenKey): DeadLetterPageTokens {
  return createPageTokens(cursor, { key, list: "events.dead-letters", maxLength: 1024 });
}

/** A page of dead letters, newest (highest id) first, optionally of one consumer. */
export async function listDeadLetters(
  db: Db,
  pageTokens: DeadLetterPageTokens,
  request: Pick<ListDeadLettersRequest, "consumer" | "pageSize" | "pageToken">,
): Promise<MessageInitShape<typeof ListDeadLettersResponseSchema>> {
  if (request.consumer.length > maxConsumerLength) {
    throw new ServiceError("invalid_argument", `consumer is too long (max ${maxConsumerLength} characters)`);
  }
  const limit = pageSizeOf(request.pageSize);
  const after = pageTokens.decode(request.pageToken);
  if (after && after.consumer !== request.consumer) {
    throw new ServiceError("invalid_argument", "page_token was issued for another consumer filter");
  }
  const { rows } = await db.query<DeadLetterRow>(
    `SELECT ${deadLetterColumns} FROM dead_letters
      WHERE ($1 = '' OR consumer = $1) AND ($2::bigint IS NULL OR id < $2::bigint)
      ORDER BY id DESC LIMIT $3`,
    [request.consumer, after?.before ?? null, limit + 1],
  );
  const page = pageOf(rows, limit, (last) =>
    pageTokens.encode({ consumer: request.consumer, before: String(last.id) }),
  );
  return {
    deadLetters: page.items.map((row) => ({
      id: row.id,
      consumer: row.consumer,
      event: eventToMessage(envelopeFromJson(JSON.stringify(row.event))),
      error: row.error,
      attempts: row.attempts,
      createTime: timestampFromDate(row.created_at),
    })),
    nextPageToken: page.nextPageToken,
  };
}
