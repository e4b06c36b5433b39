/**
 * Who is calling: read from a verified access token, carried in the request context to handlers
 * (`currentPrincipal()`, `CallContext.principal`) and on to the calls they make.
 */
export interface Principal {
  /** The token's `sub`: a user id, or the client id of a client-credentials token. */
  subject: string;
  /** `["customer"]`, `["customer", "admin"]`, `["service"]`, `["service", "admin"]`. */
  roles: readonly string[];
  /** The OAuth client the token was issued to (`client_id`). */
  clientId: string;
  /** The verified token itself, forwarded on the calls made while handling this request. */
  token: string;
}

/** A service client (the `service` role): trusted to act for any user. */
export const isServicePrincipal = (principal: Principal): boolean => principal.roles.includes("service");

/** An administrator, or an operator's client such as the consistency checker's. */
export const isAdminPrincipal = (principal: Principal): boolean => principal.roles.includes("admin");
