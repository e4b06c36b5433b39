// `npm run trace -- <order id | trace id>`: one trace gathered from every service's ops port, drawn as a waterfall.
import { readSystemPorts } from "@tessera/dev-runner/system-ports";
import { PORTS, type ServiceName } from "@tessera/dev-runner/services";
import { ConfigError } from "@tessera/kit";
import { gatherTrace } from "./gather.ts";
import { drawWaterfall } from "./waterfall.ts";

const id = process.argv[2];
if (!id) {
  process.stderr.write("usage: npm run trace -- <order id | trace id>\n");
  process.exit(64);
}
let ports;
try {
  ports = readSystemPorts(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`trace: ${error.message}\n`);
  process.exit(78);
}
const names = Object.keys(PORTS) as ServiceName[];
const urls = names.map((name) => `http://127.0.0.1:${ports.ops(name)}`);
const { traceId, spans, unreachable } = await gatherTrace(urls, id);
for (const url of unreachable) process.stderr.write(`trace: no answer from ${url}\n`);
if (!traceId || spans.length === 0) {
  process.stderr.write(`trace: no recent spans for ${id} (each service keeps its last spans only)\n`);
  process.exit(1);
}
process.stdout.write(drawWaterfall(spans));
