// `npm run check:consistency`: reads every service through its admin RPCs and checks the invariants.
import { clientSecret } from "@tessera/dev-runner/credentials";
import { ConfigError, createServiceToken } from "@tessera/kit";
import { checkConsistency } from "./check.ts";
import { readCheckerSettings } from "./settings.ts";

let settings;
try {
  settings = readCheckerSettings(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`check:consistency: ${error.message}\n`);
  process.exit(78);
}
const clientId = "tessera-checker";
const credentials = createServiceToken({
  issuer: settings.issuer,
  tokenUrl: settings.tokenUrl,
  clientId,
  clientSecret: settings.clientSecret ?? (await clientSecret(settings.dataDir, clientId)),
});
const report = await checkConsistency(settings.addresses, {
  stepTimeoutMs: settings.stepTimeoutMs,
  credentials,
});
process.stdout.write(report.text + "\n");
process.exit(report.violations.length === 0 ? 0 : 1);
