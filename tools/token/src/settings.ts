import { isAbsolute, resolve } from "node:path";
import { loadConfig, z } from "@tessera/kit";
import { SystemPortsEnv, systemPorts } from "@tessera/dev-runner/system-ports";

const TokenEnv = SystemPortsEnv.extend({
  /** Where to reach identity's provider; identity's own port on this machine when unset. */
  IDENTITY_ISSUER: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  /** The runner's state directory, where the token users' passwords are kept. */
  TESSERA_DATA_DIR: z.string().optional(),
});

export interface TokenSettings {
  email: string;
  issuer: string;
  /** The token command's users and their generated passwords (mode 0600). */
  usersFile: string;
}

const USAGE = "usage: npm run -s token -- NAME   (NAME@tessera.local, or NAME if it has an @)";
const PLAIN_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/** What `npm run -s token -- NAME` is asked, from its arguments and environment; throws its usage. */
export function readTokenSettings(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  repoRoot: string,
): TokenSettings {
  const [name, ...rest] = args;
  if (name === undefined || rest.length > 0) throw new Error(USAGE);
  if (!name.includes("@") && !PLAIN_NAME.test(name)) {
    throw new Error(`"${name}" is not a user name: letters, digits, dots, dashes and underscores\n${USAGE}`);
  }
  const config = loadConfig(TokenEnv, { ...env });
  const dataDir = config.TESSERA_DATA_DIR ?? ".data";
  return {
    email: name.includes("@") ? name : `${name}@tessera.local`,
    issuer:
      config.IDENTITY_ISSUER ?? `${systemPorts({ offset: config.TESSERA_PORT_OFFSET }).identityUrl}/oidc`,
    usersFile: resolve(isAbsolute(dataDir) ? dataDir : resolve(repoRoot, dataDir), "token-users.json"),
  };
}
