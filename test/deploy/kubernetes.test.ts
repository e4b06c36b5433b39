import { describe, expect, it } from "vitest";
import { PORTS, SERVICES } from "../../tools/dev-runner/src/services.ts";
import { OVERLAYS, ofKind, renderOverlay, type KubeObject } from "./deploy-files.ts";
import { schemaProblem } from "./kubernetes-schemas.ts";

interface Probe {
  httpGet?: { path?: string; port?: string | number };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}
interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName?: string;
        automountServiceAccountToken?: boolean;
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
        containers: Container[];
        volumes?: { name: string; emptyDir?: object }[];
      };
    };
  };
}
interface Service extends KubeObject {
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
}

const NAMES = SERVICES.map((service) => service.name);
const mebibytes = (quantity = "0") => {
  const [, number = "0", unit = ""] = /^(\d+)(Mi|Gi)?$/.exec(quantity) ?? [];
  return Number(number) * (unit === "Gi" ? 1024 : unit === "Mi" ? 1 : 1 / 2 ** 20);
};

describe.each(OVERLAYS)("the %s overlay", (overlay) => {
  const objects = () => renderOverlay(overlay);
  const named = (kind: string, name: string) =>
    objects().find((object) => object.kind === kind && object.metadata.name === name);

  it("renders with kubectl kustomize, every object in one namespace of its own", () => {
    const [namespace, ...others] = ofKind(objects(), "Namespace");
    expect(others).toEqual([]);
    for (const object of objects()) {
      if (object.kind !== "Namespace") expect(object.metadata.namespace).toBe(namespace?.metadata.name);
    }
  });

  it("validates every object against the Kubernetes API's schema", () => {
    const problems = objects().flatMap((object) => {
      const problem = schemaProblem(object);
      return problem === undefined ? [] : [`${object.kind} ${object.metadata.name}: ${problem}`];
    });
    expect(problems).toEqual([]);
  });

  it.each(NAMES)(
    "has for %s a Deployment, Service, ConfigMap, ServiceAccount, HPA, PDB and NetworkPolicy",
    (name) => {
      for (const kind of [
        "Deployment",
        "Service",
        "ServiceAccount",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
      ]) {
        const object = named(kind, name);
        expect(object, `${kind} ${name}`).toBeDefined();
        expect(object?.metadata.labels).toMatchObject({
          "app.kubernetes.io/name": name,
          "app.kubernetes.io/part-of": "tessera",
        });
      }
      const configMaps = ofKind(objects(), "ConfigMap").map((object) => object.metadata.name);
      expect(configMaps.some((configMap) => configMap.startsWith(`${name}-config-`))).toBe(true);
    },
  );

  it.each(NAMES)("runs %s hardened, probed and bounded", (name) => {
    const deployment = named("Deployment", name) as Deployment;
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.template.metadata.labels).toMatchObject({ "app.kubernetes.io/name": name });
    expect(pod.serviceAccountName).toBe(name);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
    expect(pod.containers).toHaveLength(1);
    const [container] = pod.containers as [Container];
    expect(container.image).toMatch(new RegExp(`(^|/)${name}(:[\\w.-]+)?$`));
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.securityContext?.capabilities?.add).toBeUndefined();
    // The one writable place: /tmp, in memory.
    const tmp = container.volumeMounts?.find((mount) => mount.mountPath === "/tmp");
    expect(pod.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir).toBeDefined();

    expect(container.startupProbe?.httpGet).toEqual({ path: "/healthz", port: "ops" });
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "ops" });
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "ops" });

    for (const bound of ["requests", "limits"] as const) {
      expect(container.resources?.[bound]?.["cpu"], `${bound}.cpu`).toBeDefined();
      expect(container.resources?.[bound]?.["memory"], `${bound}.memory`).toBeDefined();
    }
    // Above the RSS measured after load: ~142 MB for a service, ~180 MB for the gateway.
    const measured = name === "gateway" ? 180 : 142;
    expect(mebibytes(container.resources?.limits?.["memory"]) * 1.048576).toBeGreaterThan(measured);
  });

  it.each(NAMES)("gives %s its ports by name, its settings and its Secret", (name) => {
    const ports: Record<string, number | undefined> = { ...PORTS[name] };
    const container = (named("Deployment", name) as Deployment).spec.template.spec.containers[0];
    const expected = Object.entries(ports).map(([portName, number]) => ({
      name: portName,
      containerPort: number,
    }));
    expect(container?.ports).toEqual(expect.arrayContaining(expected));
    expect(container?.ports).toHaveLength(expected.length);

    const service = named("Service", name) as Service;
    expect(service.spec.selector).toEqual({ "app.kubernetes.io/name": name });
    const servicePorts = Object.fromEntries(service.spec.ports.map((port) => [port.name, port.port]));
    expect(servicePorts).toEqual(ports);
    expect(Object.keys(servicePorts)).toContain("ops");
    if (name !== "gateway") expect(Object.keys(servicePorts)).toContain("grpc");

    const sources = container?.envFrom ?? [];
    expect(sources).toContainEqual({ secretRef: { name: `${name}-secrets` } });
    const configMaps = new Set(ofKind(objects(), "ConfigMap").map((object) => object.metadata.name));
    const references = sources.flatMap((source) => (source.configMapRef ? [source.configMapRef.name] : []));
    expect(references).toHaveLength(2);
    for (const reference of references) expect(configMaps).toContain(reference);
  });

  it("scales every Deployment by an HPA and bounds its disruptions by a PDB", () => {
    for (const name of NAMES) {
      const hpa = named("HorizontalPodAutoscaler", name) as KubeObject & {
        spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number };
      };
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name });
      expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
      const pdb = named("PodDisruptionBudget", name) as KubeObject & {
        spec: { selector: { matchLabels: Record<string, string> } };
      };
      expect(pdb.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": name });
    }
  });

  it("routes the Ingress to the gateway's HTTP port, and to nothing else", () => {
    const ingresses = ofKind<KubeObject & { spec: { rules: { http: { paths: { backend: unknown }[] } }[] } }>(
      objects(),
      "Ingress",
    );
    expect(ingresses).toHaveLength(1);
    const backends = ingresses[0]!.spec.rules.flatMap((rule) => rule.http.paths.map((path) => path.backend));
    expect(backends).toEqual([{ service: { name: "gateway", port: { name: "http" } } }]);
  });
});

describe("the Kubernetes schema check", () => {
  it("refuses an object that breaks the API's schema", () => {
    const deployment = renderOverlay("dev").find((object) => object.kind === "Deployment")!;
    const broken = structuredClone(deployment) as Deployment;
    broken.spec.replicas = "two" as unknown as number;
    expect(schemaProblem(broken)).toMatch(/replicas/);
    expect(schemaProblem({ ...deployment, kind: "Job" })).toMatch(/no schema/);
  });
});
