import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PORTS, SERVICES } from "../../tools/dev-runner/src/services.ts";
import { parseYamlDocuments, readRepoFile, repoRoot } from "./deploy-files.ts";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  "working-directory"?: string;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  services?: Record<string, { image: string }>;
  strategy?: { matrix: { include: Record<string, unknown>[] } };
  steps: Step[];
}

const workflow = parseYamlDocuments(readRepoFile(".github/workflows/ci.yml"))[0] as {
  on: { push: { branches: string[]; tags: string[] }; pull_request: unknown };
  jobs: Record<string, Job>;
};
const jobs = Object.entries(workflow.jobs);
const steps = jobs.flatMap(([, job]) => job.steps);
const scripts = (JSON.parse(readRepoFile("package.json")) as { scripts: Record<string, string> }).scripts;
const needs = (job: Job | undefined) => [job?.needs ?? []].flat();

describe(".github/workflows/ci.yml", () => {
  it("runs on pull requests, on main and on version tags", () => {
    expect(workflow.on).toHaveProperty("pull_request");
    expect(workflow.on.push.branches).toEqual(["main"]);
    expect(workflow.on.push.tags).toEqual(["v*"]);
  });

  it("checks with .ci/run, beside PostgreSQL, Redis and NATS with JetStream", () => {
    const check = workflow.jobs["check"];
    expect(check?.steps.map((step) => step.run)).toContain("bash .ci/run");
    expect(Object.values(check?.services ?? {}).map((service) => service.image.split(":")[0])).toEqual(
      expect.arrayContaining(["postgres", "redis"]),
    );
    expect(check?.steps.some((step) => /nats.* --jetstream/.test(step.run ?? ""))).toBe(true);
  });

  it("lints the contracts and checks them for breaking changes", () => {
    const runs = steps.map((step) => step.run ?? "").join("\n");
    expect(runs).toMatch(/npm run contracts:lint/);
    expect(runs).toMatch(/buf breaking --against/);
  });

  it("builds an image of every service, with its ops port, after the checks", () => {
    const images = workflow.jobs["images"];
    expect(needs(images)).toContain("check");
    const matrix = images?.strategy?.matrix.include ?? [];
    const expected = SERVICES.map(({ name }) => ({ service: name, "ops-port": PORTS[name].ops }));
    expect(matrix).toHaveLength(expected.length);
    expect(matrix).toEqual(expect.arrayContaining(expected));
    const build = images?.steps.find((step) => step.uses?.startsWith("docker/build-push-action@"));
    expect(build?.with?.["file"]).toBe("deploy/docker/Dockerfile");
  });

  it("deploys main to staging and a version tag to production, each through its environment", () => {
    const staging = workflow.jobs["staging"];
    const production = workflow.jobs["production"];
    expect(staging?.environment).toBe("staging");
    expect(staging?.if).toContain("refs/heads/main");
    expect(production?.environment).toBe("production");
    expect(production?.if).toContain("refs/tags/v");
    for (const job of [staging, production]) {
      expect(needs(job)).toContain("images");
      expect(job?.steps.some((step) => step.run?.includes("deploy/k8s/deploy.sh"))).toBe(true);
    }
  });

  it("names only scripts and files that exist", () => {
    for (const step of steps) {
      const run = step.run ?? "";
      for (const [, script] of run.matchAll(/npm run ([\w:-]+)/g)) expect(scripts).toHaveProperty(script!);
      for (const [path] of run.matchAll(
        /(?<![\w./])(?:\.ci|deploy|proto|tools|services|packages|test)\/[\w./-]*\w/g,
      )) {
        expect(existsSync(join(repoRoot, step["working-directory"] ?? "", path)), path).toBe(true);
      }
      const file = step.with?.["file"] ?? step.with?.["node-version-file"];
      if (typeof file === "string") expect(existsSync(join(repoRoot, file)), file).toBe(true);
    }
    for (const step of steps) if (step.uses) expect(step.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
  });

  it("deploys every service the dev runner knows", () => {
    const list = /services=\(([\w ]+)\)/.exec(readRepoFile("deploy/k8s/deploy.sh"))?.[1]?.split(" ");
    expect(list?.sort()).toEqual(SERVICES.map((service) => service.name).sort());
  });
});
