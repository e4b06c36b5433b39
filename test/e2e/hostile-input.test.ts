import { setTimeout as sleep } from "node:timers/promises";
import type { DescService } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { startSystem, type RunningSystem } from "@tessera/dev-runner";
import { findFreeSystemPorts } from "@tessera/dev-runner/system-ports";
import { readFile, rm } from "node:fs/promises";
import { isolatedEnv } from "../support/system-probes.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawGrpcClient, type RawStatus } from "../support/grpc-raw.ts";
import { hostileStrings } from "../support/hostile-strings.ts";
import { httpCases, type HttpCase } from "../support/http-cases.ts";
import { bearer, toolToken } from "../support/tokens.ts";
import { rawRequest, type RawReply } from "../support/raw-http.ts";
import { rpcCases, type RpcCase } from "../support/rpc-cases.ts";
import { createTempDir } from "../support/temp-dir.ts";

// A corpus of hostile strings (hostile-strings.ts) through every operation of the gateway's
// OpenAPI document and every method of every service in the contracts, against the whole system
// as `npm start` runs it. Both lists are read at run time, so a new route or RPC is covered
// without touching this file. Today: ~460 HTTP requests and ~920 RPCs, 25-45 s after a
// ~20 s startup on a shared 2-core machine (50-80 s in all); each test is bounded at 300 s.

/** Contracts only the toolkit's own tests serve. */
const testOnlyServices = new Set(["tessera.testing.v1.EchoService", "tessera.testing.v1.AuthProbeService"]);
/** Requests in flight at once: enough to finish in seconds, few enough for a shared 2-core machine. */
const parallel = 4;

let dataDir: string;
let system: RunningSystem | undefined;
const output: string[] = [];

beforeAll(async () => {
  dataDir = await createTempDir("tessera-hostile-");
  const startup = AbortSignal.timeout(120_000);
  try {
    system = await startSystem({
      dataDir,
      ...(await findFreeSystemPorts()),
      env: isolatedEnv,
      logLevel: "warn",
      output: { write: (text: string) => output.push(text) },
      signal: startup,
    });
  } catch (error) {
    throw new Error(`the system did not start:\n${output.join("").slice(-4000)}`, { cause: error });
  }
}, 180_000);

afterAll(async () => {
  await system?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/**
 * Sends a case as a well-behaved client would: a 503 or 504 (a busy machine's deadline, never the
 * input's fault — those carry Retry-After) is sent again, twice at most; what is judged is the last answer.
 */
async function sendRetryingBusy(base: string, c: Parameters<typeof send>[1]) {
  for (let attempt = 1; ; attempt++) {
    const reply = await send(base, c).catch((error: unknown) => ({
      status: 0,
      contentType: "",
      body: String(error),
    }));
    if (attempt === 3 || (reply.status !== 503 && reply.status !== 504)) return reply;
    await sleep(500 * attempt);
  }
}

describe("hostile strings through the running system", () => {
  it("answers them in every parameter and body of every OpenAPI operation with a 4xx at worst, refusing control characters with a 400 naming where", async () => {
    const running = system!;
    const document = (await (await fetch(new URL("/api/openapi.json", running.gatewayUrl))).json()) as Record<
      string,
      unknown
    >;
    const cases = httpCases(document, hostileStrings, await bearer(running.gatewayUrl, "corpus-user"));
    const operations = Object.values(document["paths"] as Record<string, Record<string, unknown>>).flatMap(
      (item) => Object.keys(item).filter((key) => ["get", "put", "post", "delete", "patch"].includes(key)),
    );
    expect(operations.length).toBeGreaterThanOrEqual(12);
    expect(new Set(cases.map((c) => c.operation)).size, "operations with cases").toBe(operations.length);

    const failures: string[] = [];
    await inBatches(cases, async (c) => {
      const reply = await sendRetryingBusy(running.gatewayUrl, c);
      const wrong = judgeHttp(c, reply);
      if (wrong) failures.push(`${c.label} → ${reply.status}: ${wrong} ${reply.body.slice(0, 200)}`);
    });
    expect(failures, `${failures.length} of ${cases.length} requests`).toEqual([]);
  }, 300_000);

  it("answers them in every field of every RPC of every service with no INTERNAL or UNKNOWN, refusing control characters as INVALID_ARGUMENT naming the field", async () => {
    const running = system!;
    const services = await contractServices();
    const hosts = [...running.statuses.values()].filter((s) => s.name !== "gateway" && s.port !== undefined);
    const served = new Map<DescService, string[]>();
    for (const host of hosts) {
      const client = rawGrpcClient(`127.0.0.1:${host.port}`);
      for (const service of services)
        if (await client.serves(service.typeName))
          served.set(service, [...(served.get(service) ?? []), `127.0.0.1:${host.port}`]);
      client.close();
    }
    const unserved = services.filter((s) => !served.has(s) && !testOnlyServices.has(s.typeName));
    expect(
      unserved.map((s) => s.typeName),
      "services no running process serves",
    ).toEqual([]);

    // An operator's credential (roles service and admin), so that every method reaches its request check.
    const token = await toolToken(running.gatewayUrl, dataDir);
    const failures: string[] = [];
    let sent = 0;
    for (const [service, addresses] of served) {
      for (const address of addresses) {
        const client = rawGrpcClient(address, { token });
        const work = service.methods.flatMap((method) =>
          rpcCases(method, hostileStrings).map((c) => ({ method, c })),
        );
        await inBatches(work, async ({ method, c }) => {
          const path = `/${service.typeName}/${method.name}`;
          const expectRefusal = c.hostile?.refused !== false;
          const status =
            method.methodKind === "server_streaming"
              ? await client.streaming(path, c.bytes, expectRefusal ? 15_000 : 500)
              : await client.unary(path, c.bytes);
          sent++;
          const wrong = judgeRpc(c, status, method.methodKind === "server_streaming");
          if (wrong)
            failures.push(
              `${address} ${service.name}/${method.name} ${c.label} → ${GrpcStatus[status.code]} ${status.details.slice(0, 200)}: ${wrong}`,
            );
        });
        client.close();
      }
    }
    expect(sent).toBeGreaterThan(500);
    expect(failures, `${failures.length} of ${sent} calls`).toEqual([]);
  }, 300_000);

  it("is still healthy afterwards: every service ready and none restarted", () => {
    for (const status of system!.statuses.values())
      expect(status, status.name).toMatchObject({ state: "ready", restarts: 0 });
  });
});

async function send(base: string, c: HttpCase): Promise<RawReply> {
  if (c.rawHeader) {
    const port = Number(new URL(base).port);
    const headers: [string, Buffer][] = [
      ...Object.entries(c.headers)
        .filter(([name]) => name.toLowerCase() !== c.rawHeader!.name.toLowerCase())
        .map(([name, value]): [string, Buffer] => [name, Buffer.from(value)]),
      [c.rawHeader.name, c.rawHeader.value],
    ];
    return rawRequest(port, {
      method: c.method,
      url: c.url,
      headers,
      body: c.body === undefined ? undefined : Buffer.from(c.body),
    });
  }
  const response = await fetch(new URL(c.url, base), { method: c.method, headers: c.headers, body: c.body });
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    body: await response.text(),
  };
}

/** What is wrong with the gateway's answer to `c`, or undefined. */
function judgeHttp(c: HttpCase, reply: RawReply): string | undefined {
  if (reply.status < 400 || reply.status >= 500) {
    if (c.hostile.refused || reply.status >= 500 || reply.status < 200) return "expected a 4xx";
    return undefined;
  }
  if (!reply.contentType.startsWith("application/problem+json")) return "a 4xx without a problem";
  if (!c.hostile.refused) return undefined;
  if (reply.status !== 400) return "a refused string must be a 400";
  const errors = (JSON.parse(reply.body) as { errors?: { in: string; parameter: string }[] }).errors;
  // Without `errors`, the URL or a header was refused before routing (not valid UTF-8, not valid HTTP).
  if (!errors) return undefined;
  const named = errors[0];
  if (named?.in !== c.in) return `refused in ${named?.in}, not ${c.in}`;
  if (c.parameter !== "(name)" && named.parameter !== c.parameter)
    return `named ${named.parameter}, not ${c.parameter}`;
  return undefined;
}

/** What is wrong with the server's answer to `c`, or undefined. */
function judgeRpc(c: RpcCase, { code, details }: RawStatus, streaming: boolean): string | undefined {
  if (code === GrpcStatus.INTERNAL || code === GrpcStatus.UNKNOWN || code === GrpcStatus.UNIMPLEMENTED)
    return "a server-side failure";
  if (c.hostile?.refused === false) return undefined;
  if (code !== GrpcStatus.INVALID_ARGUMENT)
    return streaming && code === GrpcStatus.CANCELLED ? "no answer" : "expected INVALID_ARGUMENT";
  // Control characters are named by field; bytes that are not UTF-8 make the whole message invalid.
  const notText = !c.hostile || c.hostile.bytesOnly || /\p{Cs}/u.test(c.hostile.text);
  if (notText)
    return /^the request is not a valid /.test(details) ? undefined : "expected 'not a valid' message";
  return details.startsWith(`${c.field} contains U+`) ? undefined : `expected the field ${c.field} named`;
}

/** Every service in every module of `@tessera/contracts`, read from its package exports. */
async function contractServices(): Promise<DescService[]> {
  const manifest = JSON.parse(
    await readFile(new URL("../../packages/contracts/package.json", import.meta.url), "utf8"),
  ) as {
    exports: Record<string, string>;
  };
  const services = new Set<DescService>();
  for (const subpath of Object.keys(manifest.exports)) {
    const module = (await import(`@tessera/contracts/${subpath.replace(/^\.\//, "")}`)) as Record<
      string,
      unknown
    >;
    for (const value of Object.values(module))
      if ((value as { kind?: unknown } | null)?.kind === "service") services.add(value as DescService);
  }
  return [...services];
}
