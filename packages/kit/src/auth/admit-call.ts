import type { DescMethod } from "@bufbuild/protobuf";
import type { Metadata } from "@grpc/grpc-js";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { checkRequest } from "../rpc/request-check.ts";
import { authorize } from "./access.ts";
import type { Principal } from "./principal.ts";
import type { TokenVerifier } from "./token-verifier.ts";

export type AdmittedCall = { metadata: Metadata; request: unknown };
export type Admit = (call: AdmittedCall) => Promise<Principal | undefined>;

/**
 * Everything checked before a handler runs, in the order a caller fixes its mistakes: who it is
 * (UNAUTHENTICATED), whether the request is well-formed (INVALID_ARGUMENT), whether it may make it
 * (PERMISSION_DENIED). Returns the verified caller.
 */
export async function admitCall(
  method: DescMethod,
  call: AdmittedCall,
  authenticate: TokenVerifier | undefined,
  log: Logger,
): Promise<Principal | undefined> {
  const principal =
    authenticate && (await authenticate(bearerToken(call.metadata)).catch(keysUnavailable(log)));
  checkRequest(method.input, call.request);
  if (principal) authorize(method, principal, call.request);
  return principal;
}

function bearerToken(metadata: Metadata): string {
  const header = metadata.get("authorization")[0];
  if (typeof header !== "string" || header === "")
    throw new ServiceError(
      "unauthenticated",
      "this call needs an access token: `authorization: Bearer <token>`",
      {
        reason: "missing-token",
      },
    );
  const token = /^Bearer +([\w.~+/=-]+)$/i.exec(header)?.[1];
  if (!token)
    throw new ServiceError("unauthenticated", "the authorization metadata is not `Bearer <token>`", {
      reason: "invalid-token",
    });
  return token;
}

/** The issuer being unreachable is ours to fix, not the caller's: logged, and UNAVAILABLE to the caller. */
const keysUnavailable = (log: Logger) => (error: unknown) => {
  if (error instanceof ServiceError && error.code === "unavailable")
    log.warn({ err: error.cause ?? error }, "access token not verified: the issuer's keys are unavailable");
  throw error;
};
