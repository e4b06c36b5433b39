import { toolCredentials } from "@tessera/dev-runner/credentials";
import { signIn } from "@tessera/identity/sign-in";

const tokens = new Map<string, Promise<string>>();

/**
 * An access token for `user` of the system whose gateway is at `gatewayUrl`, through identity's
 * real sign-in behind the gateway's `/oidc` (the authorization code flow with PKCE, registering the
 * user the first time) — the way a person gets one. Kept per system and user: a token lives 15
 * minutes, longer than any test.
 */
export function userToken(gatewayUrl: string, user: string): Promise<string> {
  const key = `${gatewayUrl} ${user}`;
  let token = tokens.get(key);
  if (!token) {
    token = signIn({
      issuer: new URL("/oidc", gatewayUrl).href,
      email: user.includes("@") ? user : `${user}@tessera.test`,
      password: `${user} walks the Tessera test aisle`,
      account: "register-or-login",
    }).then((set) => set.access_token);
    // A refused sign-in is not kept: the next call tries again.
    token.catch(() => tokens.delete(key));
    tokens.set(key, token);
  }
  return token;
}

/** The `Authorization` header of `user`'s requests to the gateway at `gatewayUrl`. */
export async function bearer(gatewayUrl: string, user: string): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await userToken(gatewayUrl, user)}` };
}

/**
 * A client-credentials token of a tool client the runner registered with identity
 * (`tessera-checker`: roles service and admin), its secret read from the system's data directory —
 * the dev runner's `toolCredentials`, as the checker and the bench get theirs.
 */
export async function toolToken(gatewayUrl: string, dataDir: string, clientId = "tessera-checker") {
  return (await toolCredentials(gatewayUrl, dataDir, clientId)).token();
}
