// Rewrites services/gateway/openapi.snapshot.json from the routes; run as `npm run openapi`, which
// then formats it with Prettier like every other file.
import { snapshotFile, writeSnapshot } from "./openapi-snapshot.ts";

await writeSnapshot();
console.log(`wrote ${snapshotFile}`);
