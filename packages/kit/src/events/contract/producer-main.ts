// The contract tests' producer: a service whose outbox the tests fill; it relays and serves the stream.
import { createService, RpcServiceConfig, z } from "../../index.ts";

const service = await createService({
  name: "testing",
  config: RpcServiceConfig.extend({ DATABASE_URL: z.string() }),
  migrations: new URL("./no-migrations", import.meta.url),
});
await service.start();
