import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { DescMethod } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { currentContext, ServiceError, type Client, type MethodsOf, type RequestContext } from "@tessera/kit";

export type Call = { method: string; request: unknown; context: RequestContext | undefined };

/** How a fake answers a unary method: the request as the service decodes it, defaults filled in. */
type Answer<M> = M extends { methodKind: "unary"; input: infer I; output: infer O }
  ? I extends DescMessage
    ? O extends DescMessage
      ? (request: MessageShape<I>) => MessageInitShape<O> | Promise<MessageInitShape<O>>
      : never
    : never
  : M extends { methodKind: "server_streaming"; input: infer I; output: infer O }
    ? I extends DescMessage
      ? O extends DescMessage
        ? (request: MessageShape<I>, signal: AbortSignal) => AsyncIterable<MessageInitShape<O>>
        : never
      : never
    : never;

export type Answers<S> = { [K in keyof MethodsOf<S>]?: Answer<MethodsOf<S>[K]> };

/**
 * An in-memory stand-in for the kit's client of `service`, for in-process tests of the HTTP layer,
 * built from the service's descriptor: every method of the contract exists, those without an
 * answer fail as a server without them does (UNIMPLEMENTED, which the kit's client makes
 * `internal`), so a new RPC in a contract needs no edit here. It records each call with the
 * request context it ran in, fails every call while `failWith` is set, and `override` changes
 * answers for one test. Answers return plain objects; the fake makes them messages.
 */
export function createFakeClient<S extends GenService<GenServiceMethods>>(
  service: S,
  answers: Answers<S> = {},
) {
  const calls: Call[] = [];
  const current: Answers<S> = { ...answers };
  let failure: Error | "hang" | undefined;

  const call = async (method: DescMethod, request: MessageInitShape<DescMessage>): Promise<unknown> => {
    calls.push({ method: method.localName, request, context: currentContext() });
    if (failure === "hang") return new Promise<never>(() => {});
    if (failure !== undefined) throw failure;
    const answer = current[method.localName as keyof Answers<S>] as
      | ((request: unknown) => MessageInitShape<DescMessage> | Promise<MessageInitShape<DescMessage>>)
      | undefined;
    if (method.methodKind !== "unary" || answer === undefined) {
      throw new ServiceError("internal", `${service.typeName}/${method.name} is UNIMPLEMENTED in this fake`);
    }
    return create(method.output, await answer(create(method.input, request)));
  };

  // A stream's answer yields its items; the caller's abort signal ends it, as cancelling a call does.
  async function* stream(
    method: DescMethod,
    request: MessageInitShape<DescMessage>,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<unknown> {
    calls.push({ method: method.localName, request, context: currentContext() });
    if (failure === "hang") return await new Promise<never>(() => {});
    if (failure !== undefined) throw failure;
    const answer = current[method.localName as keyof Answers<S>] as
      ((request: unknown, signal: AbortSignal) => AsyncIterable<MessageInitShape<DescMessage>>) | undefined;
    if (answer === undefined)
      throw new ServiceError("internal", `${service.typeName}/${method.name} is UNIMPLEMENTED in this fake`);
    const own = signal ?? new AbortController().signal;
    for await (const item of answer(create(method.input, request), own)) {
      if (own.aborted) return;
      yield create(method.output, item);
    }
  }

  const client: Record<string, unknown> = { close: () => {} };
  for (const method of service.methods) {
    client[method.localName] =
      method.methodKind === "server_streaming"
        ? (request: MessageInitShape<DescMessage>, options?: { signal?: AbortSignal }) =>
            stream(method, request, options?.signal)
        : (request: MessageInitShape<DescMessage>) => call(method, request);
  }
  return {
    client: client as Client<S>,
    calls,
    /** Every call from now on rejects with `error`, or never settles with "hang"; undefined heals. */
    failWith(error: Error | "hang" | undefined) {
      failure = error;
    },
    /** From now on these methods answer so (the others as before). */
    override(answers: Answers<S>) {
      Object.assign(current, answers);
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
