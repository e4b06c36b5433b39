// One process of the Moleculer reference: `service` answers `products.get` from memory; `gateway` is
// moleculer-web in front of it, reached over NATS (the transporter) like the gateway reaches catalog.
import ApiGateway from "moleculer-web";
import { ServiceBroker, type Context } from "moleculer";
import type { Server } from "node:net";

const role = process.argv[2];
const natsUrl = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const namespace = process.env["MOLECULER_NAMESPACE"] ?? "tessera-bench";
const broker = new ServiceBroker({
  namespace,
  nodeID: `${role}-${process.pid}`,
  transporter: { type: "NATS", options: { url: natsUrl } },
  logger: false,
});

if (role === "service") {
  // A product shaped like catalog's, held in memory: the reference measures the hop, not a database.
  const product = {
    id: "0192f0c8-7d3e-7b5a-9a41-3c2d1e0f9a8b",
    sku: "BENCH-0001",
    name: "Reference product",
    description: "Answered from memory by the Moleculer reference service.",
    price: { amountMinor: "1999", currency: "EUR" },
    categoryIds: [],
  };
  broker.createService({
    name: "products",
    actions: {
      get: {
        params: { id: "string" },
        handler: (ctx: Context<{ id: string }>) => ({ ...product, id: ctx.params.id }),
      },
    },
  });
} else if (role === "gateway") {
  broker.createService({
    name: "api",
    mixins: [ApiGateway],
    settings: {
      ip: "127.0.0.1",
      port: Number(process.env["PORT"] ?? 0),
      routes: [{ path: "/api", aliases: { "GET products/:id": "products.get" } }],
    },
  });
} else {
  throw new Error(`usage: moleculer-server.ts service|gateway (got ${role ?? "nothing"})`);
}

await broker.start();
if (role === "gateway") await broker.waitForServices(["products"], 30_000);
const api = role === "gateway" ? broker.getLocalService("api") : undefined;
const address = (api as { server?: Server } | undefined)?.server?.address();
process.stdout.write(`ready ${typeof address === "object" && address ? address.port : ""}\n`);
process.once("SIGTERM", () => void broker.stop().then(() => process.exit(0)));
