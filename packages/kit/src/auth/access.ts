import { getOption, type DescMethod } from "@bufbuild/protobuf";
import { Access, access } from "@tessera/contracts/options/v1";
import { ServiceError } from "../errors.ts";
import { isAdminPrincipal, isServicePrincipal, type Principal } from "./principal.ts";

/**
 * Refuses, as `permission_denied`, a verified caller without the right to call `method` with
 * `request`: the method's `(tessera.options.v1.access)` option (admin, service, or any signed-in
 * caller), then the one rule for users — a user acts only for themselves, so a request's top-level
 * `user_id` must be the token's subject. Service clients may act for any user (they were trusted
 * with the user's request upstream). Whether a user may see a particular record stays the
 * service's own rule (another user's order is NOT_FOUND, not PERMISSION_DENIED).
 */
export function authorize(method: DescMethod, principal: Principal, request: unknown): void {
  const name = `${method.parent.name}/${method.name}`;
  switch (getOption(method, access)) {
    case Access.ADMIN:
      if (!isAdminPrincipal(principal)) throw denied(`${name} is for administrators`);
      break;
    case Access.SERVICE:
      if (!isServicePrincipal(principal)) throw denied(`${name} is for service clients`);
      break;
    case Access.UNSPECIFIED:
      break;
    default:
      // A level newer than this kit: closed until the kit learns it.
      throw denied(`${name} needs an access level this server does not know`);
  }
  if (isServicePrincipal(principal)) return;
  const userId = userIdOf(method, request);
  if (userId !== undefined && userId !== principal.subject)
    throw denied(`${name}: a user may act only for themselves (user_id is not the signed-in user)`);
}

/** The request's top-level `user_id`, when its message has one. */
function userIdOf(method: DescMethod, request: unknown): string | undefined {
  const field = method.input.fields.find((f) => f.name === "user_id");
  if (!field) return undefined;
  const value = (request as Record<string, unknown>)[field.localName];
  return typeof value === "string" ? value : "";
}

const denied = (message: string) =>
  new ServiceError("permission_denied", message, { reason: "access-denied" });
