// `npm run check:consistency`: reads every service through its admin RPCs and checks the invariants.
import { ConfigError } from "@tessera/kit";
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
const report = await checkConsistency(settings.addresses, { stepTimeoutMs: settings.stepTimeoutMs });
process.stdout.write(report.text + "\n");
process.exit(report.violations.length === 0 ? 0 : 1);
