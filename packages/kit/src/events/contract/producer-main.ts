// The contract tests' producer: a service whose outbox the tests fill; it relays and serves the stream.
import { createService, RpcServiceConfig } from "../../index.ts";

const service = await createService({
  name: "testing",
  config: RpcServiceConfig,
  database: {},
});
await service.start();
