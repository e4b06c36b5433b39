import { randomBytes } from "node:crypto";
import { signIn } from "@tessera/identity/sign-in";

/**
 * Access tokens for `buyers`, each signed in (registered the first time) through identity behind
 * the gateway's `/oidc` as a person would be — before the clock starts, four at a time; `progress`
 * hears how many are done every 5 s.
 */
export async function signInBuyers(
  base: string,
  buyers: readonly string[],
  progress: (line: string) => void = () => {},
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const issuer = new URL("/oidc", base).href;
  let next = 0;
  const worker = async () => {
    while (next < buyers.length) {
      const buyer = buyers[next++]!;
      const password = randomBytes(18).toString("base64url");
      const set = await signIn({ issuer, email: `${buyer}@bench.test`, password, account: "register" });
      tokens.set(buyer, set.access_token);
    }
  };
  const ticker = setInterval(
    () => progress(`  … ${tokens.size} of ${buyers.length} buyers signed in`),
    5_000,
  );
  try {
    await Promise.all(Array.from({ length: 4 }, worker));
  } finally {
    clearInterval(ticker);
  }
  return tokens;
}
