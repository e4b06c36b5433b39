import { currentContext, ServiceError, type RequestContext } from "@tessera/kit";

export type Call = { method: string; request: unknown; context: RequestContext | undefined };

/**
 * What every fake client shares: it records each call with the request context it ran in, and
 * fails every call while `failWith` is set.
 */
export function createRecorder() {
  const calls: Call[] = [];
  let failure: Error | "hang" | undefined;
  return {
    calls,
    record: async (method: string, request: unknown): Promise<void> => {
      calls.push({ method, request, context: currentContext() });
      if (failure === "hang") return new Promise<never>(() => {});
      if (failure !== undefined) throw failure;
    },
    /** Every call from now on rejects with `error`, or never settles with "hang"; undefined heals. */
    failWith: (error: Error | "hang" | undefined) => {
      failure = error;
    },
  };
}

/**
 * One page of `items` as the services page: `pageSize` 0 means their default of 20, the token is
 * an opaque offset, and a token this fake did not issue is the services' invalid_argument.
 */
export function pageOf<T>(
  items: T[],
  pageSize: number,
  pageToken: string,
): { page: T[]; nextPageToken: string } {
  const size = pageSize === 0 ? 20 : Math.min(pageSize, 100);
  const offset = pageToken === "" ? 0 : Number(Buffer.from(pageToken, "base64url").toString());
  if (!Number.isInteger(offset) || offset < 0 || (pageToken !== "" && offset >= items.length)) {
    throw new ServiceError("invalid_argument", "page_token is malformed or expired");
  }
  const end = offset + size;
  return {
    page: items.slice(offset, end),
    nextPageToken: end < items.length ? Buffer.from(String(end)).toString("base64url") : "",
  };
}

/** A protobuf timestamp of `millis` since the epoch. */
export function timestampOf(millis: number) {
  return {
    $typeName: "google.protobuf.Timestamp" as const,
    seconds: BigInt(Math.floor(millis / 1000)),
    nanos: (millis % 1000) * 1_000_000,
  };
}
