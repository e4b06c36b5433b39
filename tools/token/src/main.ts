// `npm run -s token -- NAME`: prints an access token for user NAME of the system `npm start` runs,
// and nothing else, so `curl -H "authorization: Bearer $(npm run -s token -- alice)" …` works.
import { fileURLToPath } from "node:url";
import { SignInError } from "@tessera/identity/sign-in";
import { readTokenSettings, type TokenSettings } from "./settings.ts";
import { userAccessToken } from "./token.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

let settings: TokenSettings;
try {
  settings = readTokenSettings(process.argv.slice(2), process.env, REPO_ROOT);
} catch (error) {
  process.stderr.write(`token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(64);
}
try {
  process.stdout.write(`${await userAccessToken(settings)}\n`);
} catch (error) {
  process.stderr.write(`token: ${explain(error, settings)}\n`);
  process.exitCode = 1;
}

function explain(error: unknown, { issuer, email, usersFile }: TokenSettings): string {
  if (error instanceof SignInError && error.status === 401) {
    return `${email} has an account, but not with the password kept in ${usersFile}: ${error.message}`;
  }
  if (error instanceof SignInError) return error.message;
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code === "ECONNREFUSED") return `nothing answers at ${issuer}: is \`npm start\` running?`;
  return error instanceof Error ? error.message : String(error);
}
