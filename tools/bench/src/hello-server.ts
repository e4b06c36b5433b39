// The ceiling: a bare fastify hello-world, run as its own process like a service.
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/", () => ({ hello: "world" }));
const port = Number(process.env["PORT"] ?? 0);
await app.listen({ host: "127.0.0.1", port });
const address = app.server.address();
process.stdout.write(`ready ${typeof address === "object" && address ? address.port : port}\n`);
process.once("SIGTERM", () => void app.close().then(() => process.exit(0)));
