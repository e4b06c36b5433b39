import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** `url` (postgres://…) with its host and port replaced by the proxy's. */
  via(url: string): string;
  /** Drops every connection and refuses new ones: to a client, the server went down. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, to take that server away from a client and
 * give it back — a database restarting, a network dropping — without touching the server itself.
 * With `listening: false` it starts cut: a server that is not up yet.
 *
 * @example
 *   const proxy = await startTcpProxy(new URL(database.url), { listening: true });
 *   const db = createDb({ connectionString: proxy.via(database.url) });
 *   await proxy.cut();     // queries now fail as if the server were down
 *   await proxy.restore(); // and succeed again
 */
export async function startTcpProxy(
  target: { hostname: string; port: string | number },
  { listening = true } = {},
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const stopListening = async () => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  };
  if (!listening) await stopListening();
  return {
    port,
    via(url) {
      const proxied = new URL(url);
      proxied.host = `127.0.0.1:${port}`;
      return proxied.href;
    },
    cut: stopListening,
    async restore() {
      if (server.listening) return;
      server.listen(port, "127.0.0.1");
      await once(server, "listening");
    },
    close: stopListening,
  };
}
