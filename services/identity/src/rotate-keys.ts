// `node services/identity/src/rotate-keys.ts` (with identity's DATABASE_URL): a new signing key, now.
// Running replicas sign with it within IDENTITY_KEY_CHECK_INTERVAL_MS; the key it replaces stays in
// the JWKS until every token it signed has expired.
import { ConfigError, createDb, DatabaseConfig, loadConfig } from "@tessera/kit";
import { KEY_RETENTION_MS } from "./lifetimes.ts";
import { SigningKeys } from "./signing-keys.ts";

let config;
try {
  config = loadConfig(DatabaseConfig);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`rotate-keys: ${error.message}\n`);
  process.exit(78);
}
const db = createDb({ connectionString: config.DATABASE_URL, applicationName: "identity-rotate-keys" });
try {
  // A forced rotation ignores the age of the newest key, so the rotation period plays no part.
  const keys = new SigningKeys({
    db,
    clock: () => new Date(),
    rotationMs: Infinity,
    retentionMs: KEY_RETENTION_MS,
  });
  const [signing, ...previous] = await keys.rotate();
  process.stdout.write(
    `signing with ${signing?.kid}; still published: ${previous.map((key) => key.kid).join(", ") || "none"}\n`,
  );
} catch (error) {
  const missingTable = (error as { code?: string }).code === "42P01";
  process.stderr.write(
    `rotate-keys: ${missingTable ? "identity has not created its tables yet: start it once first" : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  await db.close();
}
