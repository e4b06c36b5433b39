import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** The repository's root folder, with a trailing slash. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export const readRepoFile = (path: string): string => readFileSync(join(repoRoot, path), "utf8");

/** A Kubernetes object as `kubectl kustomize` prints it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  [field: string]: unknown;
}

export const OVERLAYS = ["dev", "staging", "prod"] as const;
export type Overlay = (typeof OVERLAYS)[number];

/**
 * The kubectl that renders the overlays: `KUBECTL`, else the first `kubectl` on the PATH (.ci/run
 * puts one there when the machine has none). Its built-in kustomize is the one `kubectl apply -k` uses.
 */
export function kubectlPath(env: NodeJS.ProcessEnv = process.env): string {
  const given = env["KUBECTL"];
  if (given) return given;
  for (const folder of (env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(folder, "kubectl");
    try {
      execFileSync(candidate, ["version", "--client"], { stdio: "ignore" });
      return candidate;
    } catch {
      // not there, or not runnable: the next folder
    }
  }
  throw new Error("no kubectl on the PATH: set KUBECTL, or run .ci/run, which installs one");
}

const rendered = new Map<Overlay, KubeObject[]>();

/** Every object of an overlay, rendered by `kubectl kustomize deploy/k8s/overlays/<name>`. */
export function renderOverlay(overlay: Overlay): KubeObject[] {
  let objects = rendered.get(overlay);
  if (objects === undefined) {
    const text = execFileSync(kubectlPath(), ["kustomize", join(repoRoot, "deploy/k8s/overlays", overlay)], {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    objects = parseYamlDocuments(text) as KubeObject[];
    rendered.set(overlay, objects);
  }
  return objects;
}

/** Every document of a YAML stream; a syntax error in any of them throws. */
export function parseYamlDocuments(text: string): unknown[] {
  // Merge keys (`<<: *defaults`) as compose reads them.
  return parseAllDocuments(text, { merge: true }).map((document) => {
    const [error] = document.errors;
    if (error !== undefined) throw new Error(`YAML: ${error.message}`, { cause: error });
    return document.toJS({ maxAliasCount: -1 }) as unknown;
  });
}

export const ofKind = <T = KubeObject>(objects: readonly KubeObject[], kind: string): T[] =>
  objects.filter((object) => object.kind === kind) as T[];
