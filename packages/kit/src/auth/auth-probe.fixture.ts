// Test support for the authentication tests (imported by tests only): a test issuer for the file,
// and AuthProbe servers on real ports that verify its tokens and answer with the caller they saw.
// A test file calls `useAuthProbes()` once, at its top.
import { AuthProbeService, EchoService } from "@tessera/contracts/testing/v1";
import { afterAll, afterEach, beforeAll } from "vitest";
import { currentPrincipal } from "../context.ts";
import { createLogger } from "../logger.ts";
import { createMetrics } from "../metrics.ts";
import { createClient, type Client, type ClientOptions } from "../rpc/client.ts";
import { createRpcServer, type CallContext } from "../rpc/server.ts";
import { startTestIssuer, type TestIssuer } from "../test-issuer.ts";
import type { TokenSource } from "./service-token.ts";
import { createTokenVerifier } from "./token-verifier.ts";

export let issuer: TestIssuer;
const cleanups: (() => Promise<void> | void)[] = [];

/** Starts the file's issuer before its tests; closes what each test started after it. */
export function useAuthProbes(): void {
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(() => issuer.stop());
}

const callerOf = ({ principal }: CallContext) => {
  // What the handler sees in its context and in the request context must be the same caller.
  if (principal !== currentPrincipal()) throw new Error("the call context and the request context disagree");
  return { subject: principal?.subject, roles: [...(principal?.roles ?? [])], clientId: principal?.clientId };
};

/**
 * An AuthProbe (and Echo) server trusting the file's issuer; its WhoAmI forwards with a client
 * holding `credentials` (the server's own token), as a service's clients do.
 */
export async function startProbe(options: { refetchCooldownMs?: number; credentials?: TokenSource } = {}) {
  const rpc = createRpcServer({
    log: createLogger({ service: "probe", level: "silent" }),
    metrics: createMetrics("probe"),
    authenticate: createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUrl: issuer.jwksUrl,
      refetchCooldownMs: options.refetchCooldownMs,
    }),
  });
  const forwarders = new Map<string, Client<typeof AuthProbeService>>();
  rpc.add(AuthProbeService, {
    async whoAmI({ forwardTo }, context) {
      if (!forwardTo) return { caller: callerOf(context) };
      const forwarder =
        forwarders.get(forwardTo) ?? probeClient(forwardTo, { credentials: options.credentials });
      forwarders.set(forwardTo, forwarder);
      return forwarder.whoAmI({});
    },
    actFor: (_, context) => ({ caller: callerOf(context) }),
    administer: (_, context) => ({ caller: callerOf(context) }),
    serveService: (_, context) => ({ caller: callerOf(context) }),
  });
  rpc.add(EchoService, {
    echo: ({ message }) => ({ message }),
    echoOnce: ({ message }) => ({ message }),
    async *echoStream({ message, count }) {
      for (let index = 0; index < count; index++) yield await Promise.resolve({ message, index });
    },
  });
  const port = await rpc.listen("127.0.0.1:0");
  cleanups.push(() => rpc.close(100));
  return { address: `127.0.0.1:${port}` };
}

export function probeClient(address: string, options: ClientOptions = {}): Client<typeof AuthProbeService> {
  const client = createClient(AuthProbeService, address, { maxAttempts: 1, ...options });
  cleanups.push(() => client.close());
  return client;
}

export function echoClient(address: string, options: ClientOptions = {}): Client<typeof EchoService> {
  const client = createClient(EchoService, address, options);
  cleanups.push(() => client.close());
  return client;
}
