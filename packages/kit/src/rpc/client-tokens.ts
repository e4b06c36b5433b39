import { status as GrpcStatus, type ServiceError as GrpcServiceError } from "@grpc/grpc-js";
import type { TokenSource } from "../auth/service-token.ts";
import { currentContext } from "../context.ts";

/** The token a call sends, and the source to tell when a callee refuses it (only a renewable one). */
export interface Bearer {
  token: string;
  renewable?: TokenSource;
}

/** Picks a call's token: the call's, else the client's fixed one, else the caller's, else the client's own. */
export function bearerOf(
  fixed: string | undefined,
  own: TokenSource | undefined,
  forwardCallerToken: boolean,
) {
  return async (callToken: string | undefined): Promise<Bearer | undefined> => {
    const chosen =
      callToken ?? fixed ?? (forwardCallerToken ? currentContext()?.principal?.token : undefined);
    if (chosen) return { token: chosen };
    return own && { token: await own.token(), renewable: own };
  };
}

/** Sends with the call's token; when the callee refuses the client's own token, once more with a fresh one. */
export async function withTokenRenewal<T>(
  bearer: ReturnType<typeof bearerOf>,
  callToken: string | undefined,
  send: (authorization: Bearer | undefined) => Promise<T>,
): Promise<T> {
  const authorization = await bearer(callToken);
  try {
    return await send(authorization);
  } catch (error) {
    if (!authorization?.renewable || !isUnauthenticated(error)) throw error;
    authorization.renewable.invalidate(authorization.token);
    return send(await bearer(callToken));
  }
}

export const isUnauthenticated = (error: unknown) =>
  error instanceof Error && (error as GrpcServiceError).code === GrpcStatus.UNAUTHENTICATED;
