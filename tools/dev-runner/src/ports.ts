import { createServer } from "node:net";

export interface PortClaim {
  port: number;
  host: string;
  /** What uses it, for the message: "catalog gRPC". */
  label: string;
}

/** A TCP port nothing listens on right now (the OS picks it). */
export async function findFreePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port assigned");
  return address.port;
}

/** The claims whose port is taken, so the runner can stop before starting anything. */
export async function findBusyPorts(claims: readonly PortClaim[]): Promise<PortClaim[]> {
  const busy = await Promise.all(claims.map(async (claim) => ((await canListen(claim)) ? undefined : claim)));
  return busy.filter((claim) => claim !== undefined);
}

function canListen({ port, host }: PortClaim): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
