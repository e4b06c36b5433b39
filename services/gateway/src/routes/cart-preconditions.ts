import { ServiceError } from "@tessera/kit";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Conditional cart writes (RFC 9110 §13): the cart's `ETag` is its version, and `If-Match` names
 * the version a write expects. A stale one is 412; a write that replaces or removes without one is
 * 428 (RFC 6585), so a client cannot overwrite a change it has not seen.
 */

/** An HTTP-level refusal; the gateway's error handler makes it a problem typed by its status. */
class PreconditionError extends Error {
  readonly statusCode: 412 | 428;

  constructor(statusCode: 412 | 428, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

/** The strong entity tag of a cart version. */
export const cartEtag = (version: string): string => `"${version}"`;

/** Sends the cart's version as its `ETag`. */
export function sendCartEtag(reply: FastifyReply, version: string): void {
  reply.header("etag", cartEtag(version));
}

const strongTag = /^"([\x21\x23-\x7e]*)"$/;

/**
 * The version `If-Match` expects; "" when it is `*` (any cart: there always is one) or absent and
 * not `required`. A weak tag never matches for a write (strong comparison), so it is 412.
 */
export function expectedVersionOf(request: FastifyRequest, { required }: { required: boolean }): string {
  const header = request.headers["if-match"];
  if (header === undefined || header.trim() === "") {
    if (!required) return "";
    throw new PreconditionError(
      428,
      "This write needs If-Match with the cart's ETag (from GET /api/v1/cart or the last change).",
    );
  }
  const value = header.trim();
  if (value === "*") return "";
  const match = strongTag.exec(value);
  if (!match) {
    throw new PreconditionError(412, "If-Match must be the one strong ETag of the cart, as last received.");
  }
  return match[1] ?? "";
}

/** `write`, with the cart service's version mismatch turned into 412. */
export async function conditionally<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ServiceError && error.reason === "cart-version-mismatch") {
      throw new PreconditionError(412, "The cart changed since this ETag was sent; get it again and retry.");
    }
    throw error;
  }
}
