// Mutual TLS between kit services, with certificates made here by the openssl CLI: a service calls
// another over mTLS, the callee sees the caller's certificate name, and a client without a
// certificate, with one from another CA, or in plaintext is refused.
import { credentials, status as GrpcStatus, type ChannelCredentials } from "@grpc/grpc-js";
import { EchoService } from "@tessera/contracts/testing/v1";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceError } from "../errors.ts";
import { createService, type Service } from "../service.ts";
import { RpcServiceConfig } from "../service-config.ts";
import { testCallers, testClient, testIssuer } from "../test-issuer.ts";
import { createClient } from "./client.ts";

const openssl = (...args: string[]) => promisify(execFile)("/usr/bin/openssl", args);

let dir: string;
const path = (name: string) => join(dir, name);

/** A P-256 key and a self-signed CA certificate. */
async function makeCa(name: string): Promise<void> {
  await openssl(
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", path(`${name}.key`), "-out", path(`${name}.pem`), "-days", "1", "-subj", `/CN=${name}`],
  );
}

/** A certificate for `name`, signed by `ca`, good for a server on loopback and as a client. */
async function makeCert(ca: string, name: string): Promise<void> {
  await writeFile(
    path(`${name}.ext`),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  await openssl(
    ...["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", path(`${name}.key`), "-out", path(`${name}.csr`), "-subj", `/CN=${name}`],
  );
  await openssl(
    ...["x509", "-req", "-in", path(`${name}.csr`), "-CA", path(`${ca}.pem`), "-CAkey", path(`${ca}.key`)],
    ...["-CAcreateserial", "-out", path(`${name}.pem`), "-days", "1", "-extfile", path(`${name}.ext`)],
  );
}

const tlsEnv = (name: string) => ({
  GRPC_TLS_CA: path("ca.pem"),
  GRPC_TLS_CERT: path(`${name}.pem`),
  GRPC_TLS_KEY: path(`${name}.key`),
});

async function kitService(name: string): Promise<Service<unknown>> {
  return createService({
    name,
    config: RpcServiceConfig,
    env: {
      ...(await testIssuer()).env,
      GRPC_HOST: "127.0.0.1",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      SHUTDOWN_TIMEOUT_MS: "1000",
      ...tlsEnv(name),
    },
  });
}

const seen: { peer: string | undefined; subject: string | undefined }[] = [];
let callee: Service<unknown>;
let caller: Service<unknown>;
let address: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-mtls-"));
  await makeCa("ca");
  await makeCa("rogue-ca");
  await Promise.all([makeCert("ca", "catalog"), makeCert("ca", "orders"), makeCert("rogue-ca", "rogue")]);
  callee = await kitService("catalog");
  callee.serve(EchoService, {
    echo: (request, context) => {
      seen.push({ peer: context.peer, subject: context.principal?.subject });
      return { message: request.message };
    },
    echoOnce: (request) => ({ message: request.message }),
    async *echoStream(request) {
      yield await Promise.resolve({ message: request.message, index: 0 });
    },
  });
  const { rpcPort } = await callee.start();
  // By name, as the server certificate names it (its IP SAN works too, but Node warns of an IP as TLS ServerName).
  address = `localhost:${rpcPort}`;
  caller = await kitService("orders");
}, 60_000);

afterAll(async () => {
  await caller?.stop();
  await callee?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The gRPC status a call by a client over `transport` ends with. */
async function statusOf(transport: ChannelCredentials): Promise<GrpcStatus | "ok"> {
  const client = testClient(EchoService, address, testCallers.service, {
    channelCredentials: transport,
    maxAttempts: 1,
    deadlineMs: 10_000,
  });
  try {
    await client.echo({ message: "hello" });
    return "ok";
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    return (error as ServiceError).grpcStatus;
  } finally {
    client.close();
  }
}

describe("mutual TLS between kit services", () => {
  it("lets a service with a certificate of the CA call another, which sees its certificate name", async () => {
    const catalog = caller.client(EchoService, address);
    await expect(catalog.echo({ message: "over mTLS" })).resolves.toMatchObject({ message: "over mTLS" });
    // Token auth stays on top: the caller's own client-credentials token identifies it too.
    expect(seen.at(-1)).toEqual({ peer: "orders", subject: "svc-orders" });
  });

  it("lets in a client presenting a certificate of the CA with a user's token", async () => {
    const ca = await readFile(path("ca.pem"));
    const [key, cert] = await Promise.all([readFile(path("orders.key")), readFile(path("orders.pem"))]);
    expect(await statusOf(credentials.createSsl(ca, key, cert))).toBe("ok");
  });

  it("refuses a client without a certificate", async () => {
    const ca = await readFile(path("ca.pem"));
    expect(await statusOf(credentials.createSsl(ca))).toBe(GrpcStatus.UNAVAILABLE);
  });

  it("refuses a client whose certificate another CA signed", async () => {
    const ca = await readFile(path("ca.pem"));
    const [key, cert] = await Promise.all([readFile(path("rogue.key")), readFile(path("rogue.pem"))]);
    expect(await statusOf(credentials.createSsl(ca, key, cert))).toBe(GrpcStatus.UNAVAILABLE);
  });

  it("refuses a plaintext client", async () => {
    expect(await statusOf(credentials.createInsecure())).toBe(GrpcStatus.UNAVAILABLE);
  });

  it("keeps createClient plaintext without channel credentials", async () => {
    const client = createClient(EchoService, address, { maxAttempts: 1, token: "unused" });
    await expect(client.echo({ message: "x" })).rejects.toMatchObject({ grpcStatus: GrpcStatus.UNAVAILABLE });
    client.close();
  });
});
