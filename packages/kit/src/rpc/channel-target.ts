/** grpc-js service config: spread calls over every resolved address, one after the other. */
export const roundRobin = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });

/**
 * The grpc-js target for an address, and whether calls spread over several servers. A plain
 * `host:port` dials as it always did (one connection). A comma-separated list of IPv4 `host:port`
 * (the dev runner's replicas) becomes an `ipv4:` target, and a `dns:`/`ipv4:`/`ipv6:` target (a
 * Kubernetes headless Service: `dns:///orders.tessera.svc:50054`) stays as given; both are balanced
 * round-robin over every address, so a replica that goes away only takes its in-flight calls along.
 *
 * @example
 *   channelTarget("127.0.0.1:50054,127.0.0.1:50154"); // { target: "ipv4:127.0.0.1:50054,127.0.0.1:50154", balanced: true }
 */
export function channelTarget(address: string): { target: string; balanced: boolean } {
  if (/^(dns|ipv4|ipv6):/.test(address)) return { target: address, balanced: true };
  if (address.includes(",")) return { target: `ipv4:${address}`, balanced: true };
  return { target: address, balanced: false };
}
