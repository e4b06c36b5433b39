import { storedSecrets } from "@tessera/dev-runner/credentials";
import { signIn } from "@tessera/identity/sign-in";
import type { TokenSettings } from "./settings.ts";

/**
 * An access token for a user of the running system, got the way a browser gets one: the
 * authorization request with PKCE, identity's registration form the first time (with a generated
 * password kept in the users file) and its sign-in form after, consent, the code, the token
 * endpoint. No back door: identity cannot tell this from a person at the shop.
 */
export async function userAccessToken({ email, issuer, usersFile }: TokenSettings): Promise<string> {
  const { values } = await storedSecrets(usersFile, [email]);
  const password = values[email] ?? "";
  // Registers when identity has no such account (a new name, or a database started afresh).
  const tokens = await signIn({ issuer, email, password, account: "register-or-login" });
  return tokens.access_token;
}
