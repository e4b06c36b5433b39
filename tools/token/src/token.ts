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
  const { values, created } = await storedSecrets(usersFile, [email]);
  const password = values[email] ?? "";
  // A new name registers; a known one signs in, and registers again if the database started afresh.
  const account = created.length > 0 ? "register-or-login" : "login-or-register";
  const tokens = await signIn({ issuer, email, password, account });
  return tokens.access_token;
}
