// The contract tests' consumer: records every Echoed event it applies as an effect row.
import { EchoedSchema } from "@tessera/contracts/testing/v1";
import { createService, RpcServiceConfig, ServiceError, z } from "../../index.ts";

const service = await createService({
  name: "contract-consumer",
  config: RpcServiceConfig.extend({
    TESTING_ADDR: z.string(),
    REPLICA: z.string().default("a"),
  }),
  database: { migrations: new URL("./migrations", import.meta.url) },
  producers: { testing: (config) => config.TESTING_ADDR },
});
service.subscribe("effects", [EchoedSchema], async ({ envelope, data }, tx) => {
  if (data.payload === "poison") {
    const { rows } = await tx.query<{ on_: boolean }>("SELECT on_ FROM poison_switch");
    if (rows[0]?.on_) throw new ServiceError("failed_precondition", "poisoned event");
  }
  await tx.query(
    "INSERT INTO effects (event_id, subject, sequence, replica, published_at) VALUES ($1, $2, $3, $4, $5)",
    [envelope.id, data.subject, data.sequence, service.config.REPLICA, envelope.time],
  );
});
await service.start();
