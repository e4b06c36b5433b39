import { describe, expect, it } from "vitest";
import { PORTS, SERVICES } from "../../tools/dev-runner/src/services.ts";
import { OVERLAYS, ofKind, renderOverlay, type KubeObject } from "./deploy-files.ts";

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { protocol?: string; port?: number | string }[];
}
interface Policy extends KubeObject {
  spec: { podSelector: Selector; policyTypes: ("Ingress" | "Egress")[]; ingress?: Rule[]; egress?: Rule[] };
}

const NAMES = SERVICES.map((service) => service.name);
const NAME = "app.kubernetes.io/name";

/** The Tessera services a selector picks in the policy's own namespace. */
function servicesSelected(selector: Selector): string[] {
  const { matchLabels = {}, matchExpressions = [] } = selector;
  return NAMES.filter((name) => {
    const labels: Record<string, string> = { [NAME]: name, "app.kubernetes.io/part-of": "tessera" };
    const labelsMatch = Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
    const expressionsMatch = matchExpressions.every(
      (expression) =>
        expression.operator === "In" && (expression.values ?? []).includes(labels[expression.key] ?? ""),
    );
    return labelsMatch && expressionsMatch;
  });
}

/**
 * What a direction of the rendered policies allows between Tessera pods, as `from→to:port`, and what
 * it allows to or from anything else, as `service↔<peer labels>:port`.
 */
function allowed(policies: readonly Policy[], direction: "ingress" | "egress") {
  const internal = new Set<string>();
  const external = new Set<string>();
  for (const policy of policies) {
    const subjects = servicesSelected(policy.spec.podSelector);
    for (const rule of policy.spec[direction] ?? []) {
      const peers = (direction === "ingress" ? rule.from : rule.to) ?? [];
      // A rule without peers or without ports would allow everyone, or every port.
      expect(peers.length, `${policy.metadata.name}: a rule names its peers`).toBeGreaterThan(0);
      expect(rule.ports?.length, `${policy.metadata.name}: a rule names its ports`).toBeGreaterThan(0);
      for (const peer of peers) {
        expect(peer.ipBlock, `${policy.metadata.name}: no address ranges`).toBeUndefined();
        for (const subject of subjects) {
          for (const { port } of rule.ports ?? []) {
            if (peer.namespaceSelector === undefined) {
              for (const other of servicesSelected(peer.podSelector ?? {})) {
                internal.add(
                  direction === "ingress" ? `${other}→${subject}:${port}` : `${subject}→${other}:${port}`,
                );
              }
            } else {
              external.add(`${subject}↔${JSON.stringify(peer.podSelector?.matchLabels)}:${port}`);
            }
          }
        }
      }
    }
  }
  return { internal, external };
}

/** The documented edges: gRPC calls (and direct event streams) from services.ts, and identity's keys and tokens. */
const expectedEdges = new Set([
  ...SERVICES.flatMap((service) =>
    (service.calls ?? []).map((callee) => `${service.name}→${callee}:${PORTS[callee].grpc}`),
  ),
  ...NAMES.map((name) => `${name}→identity:${PORTS.identity.http}`),
]);

describe.each(OVERLAYS)("the %s overlay's NetworkPolicies", (overlay) => {
  const policies = () => ofKind<Policy>(renderOverlay(overlay), "NetworkPolicy");

  it("deny everything by default, both ways", () => {
    const deny = policies().find((policy) => policy.metadata.name === "default-deny");
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("declare both directions for every service", () => {
    for (const name of NAMES) {
      const own = policies().find((policy) => policy.metadata.name === name);
      expect(own?.spec.podSelector).toEqual({ matchLabels: { [NAME]: name } });
      expect(own?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    }
  });

  it("let a service reach another exactly along the documented edges, on both ends", () => {
    const ingress = allowed(policies(), "ingress").internal;
    const egress = allowed(policies(), "egress").internal;
    expect([...ingress].sort()).toEqual([...expectedEdges].sort());
    expect([...egress].sort()).toEqual([...expectedEdges].sort());
  });

  it("let in from outside only the ingress controller to the gateway and Prometheus to ops ports", () => {
    const expected = [
      `gateway↔${JSON.stringify({ [NAME]: "ingress-nginx" })}:${PORTS.gateway.http}`,
      ...NAMES.map((name) => `${name}↔${JSON.stringify({ [NAME]: "prometheus" })}:ops`),
    ];
    expect([...allowed(policies(), "ingress").external].sort()).toEqual(expected.sort());
  });

  it("let out only DNS, and PostgreSQL, NATS and Redis to the services that use them", () => {
    const database = SERVICES.filter((service) => service.database).map((service) => service.name);
    const redis = ["cart", "gateway"];
    const postgres = JSON.stringify({ "cnpg.io/podRole": "instance" });
    const expected = [
      ...NAMES.flatMap((name) => [
        `${name}↔{"k8s-app":"kube-dns"}:53`,
        `${name}↔${JSON.stringify({ [NAME]: "nats" })}:4222`,
      ]),
      ...database.map((name) => `${name}↔${postgres}:5432`),
      ...redis.map((name) => `${name}↔${JSON.stringify({ [NAME]: "redis" })}:6379`),
    ];
    expect([...allowed(policies(), "egress").external].sort()).toEqual(expected.sort());
  });
});
