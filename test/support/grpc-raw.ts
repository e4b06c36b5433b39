import { Client as GrpcClient, credentials, Metadata, status as GrpcStatus } from "@grpc/grpc-js";

export interface RawStatus {
  code: GrpcStatus;
  details: string;
}

const asIs = (bytes: Buffer) => bytes;

/**
 * A gRPC client that sends request bytes exactly as given — what no generated client would
 * encode (invalid UTF-8, truncated messages) — and reports only the call's status. With a `token`,
 * every call carries it as its bearer credential.
 */
export function rawGrpcClient(address: string, { token }: { token?: string } = {}) {
  const client = new GrpcClient(address, credentials.createInsecure());
  /** Every call's metadata: the bearer token, when there is one. */
  const metadata = () => {
    const metadata = new Metadata();
    if (token) metadata.set("authorization", `Bearer ${token}`);
    return metadata;
  };
  return {
    unary(path: string, bytes: Buffer, timeoutMs = 15_000): Promise<RawStatus> {
      return new Promise((resolve) =>
        client.makeUnaryRequest(
          path,
          asIs,
          asIs,
          bytes,
          metadata(),
          { deadline: Date.now() + timeoutMs },
          (error) =>
            resolve(
              error ? { code: error.code, details: error.details } : { code: GrpcStatus.OK, details: "" },
            ),
        ),
      );
    },
    /**
     * A server-streaming call, cancelled at its first response or after `patienceMs` without one
     * (a healthy stream of events may wait for news forever): CANCELLED then means it was fine.
     */
    streaming(path: string, bytes: Buffer, patienceMs: number): Promise<RawStatus> {
      return new Promise((resolve) => {
        const call = client.makeServerStreamRequest(path, asIs, asIs, bytes, metadata(), {
          deadline: Date.now() + 15_000,
        });
        const giveUp = setTimeout(() => call.cancel(), patienceMs);
        call.on("data", () => call.cancel());
        call.on("error", () => undefined);
        call.on("status", (status: RawStatus) => {
          clearTimeout(giveUp);
          resolve({ code: status.code, details: status.details });
        });
      });
    },
    /** The standard health check of `service` (its full name): SERVING when this server serves it. */
    async serves(service: string): Promise<boolean> {
      const name = Buffer.from(service, "utf8");
      // HealthCheckRequest { service (1) = name }; the reply's status 1 is SERVING.
      const reply = await new Promise<Buffer | undefined>((resolve) =>
        client.makeUnaryRequest(
          "/grpc.health.v1.Health/Check",
          asIs,
          asIs,
          Buffer.concat([Buffer.from([0x0a, name.length]), name]),
          new Metadata(),
          { deadline: Date.now() + 10_000 },
          (error, response?: Buffer) => resolve(error ? undefined : response),
        ),
      );
      return reply?.equals(Buffer.from([0x08, 0x01])) ?? false;
    },
    close: () => client.close(),
  };
}
