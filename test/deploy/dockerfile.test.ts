import { Copy, DockerfileParser, type Instruction } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { SERVICE_NODE_FLAGS, SERVICES } from "../../tools/dev-runner/src/services.ts";
import { readRepoFile } from "./deploy-files.ts";

const text = readRepoFile("deploy/docker/Dockerfile");
const dockerfile = DockerfileParser.parse(text);

/** The instructions of each stage, in order: a stage starts at its FROM. */
function stages(): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const finalStage = stages().at(-1) ?? [];
const keyword = (stage: Instruction[], name: string) => stage.filter((i) => i.getKeyword() === name);
const argumentsOf = (instruction: Instruction) => instruction.getArguments().map((a) => a.getValue());

/** A FROM's image with the global ARGs' defaults substituted (`FROM ${NODE_IMAGE}`). */
function baseImage(instruction: Instruction): string {
  const defaults = new Map(
    dockerfile.getInitialARGs().map((arg) => [arg.getProperty()?.getName(), arg.getProperty()?.getValue()]),
  );
  const image = argumentsOf(instruction)[0] ?? "";
  return image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => {
    return defaults.get(braced ?? bare) ?? "";
  });
}

describe("the service image (deploy/docker/Dockerfile)", () => {
  it("parses, and has no instruction the parser does not know", () => {
    const known = [
      "FROM",
      "ARG",
      "ENV",
      "WORKDIR",
      "COPY",
      "RUN",
      "USER",
      "EXPOSE",
      "HEALTHCHECK",
      "ENTRYPOINT",
      "CMD",
    ];
    expect(dockerfile.getInstructions().length).toBeGreaterThan(10);
    for (const instruction of dockerfile.getInstructions()) expect(known).toContain(instruction.getKeyword());
  });

  it("is multi-stage, every stage on the official Node 24 image on a slim base", () => {
    const froms = dockerfile.getFROMs();
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const stageNames = new Set(froms.map((from) => from.getBuildStage()));
    for (const from of froms) {
      const image = baseImage(from);
      // A stage may start from an earlier one; every other base is node:24 on slim Debian or Alpine.
      if (stageNames.has(image)) continue;
      expect(image).toMatch(/^node:24(\.\d+)*-(\w+-slim|alpine[\d.]*)(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it("runs as a numeric non-root user in the final stage", () => {
    const users = keyword(finalStage, "USER");
    expect(users).toHaveLength(1);
    const [user, group] = (argumentsOf(users[0]!)[0] ?? "").split(":");
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
    expect(Number(group ?? user)).toBeGreaterThan(0);
  });

  it("checks its health on the ops port's /healthz", () => {
    const [healthcheck] = keyword(finalStage, "HEALTHCHECK");
    const command = healthcheck?.getRawArgumentsContent() ?? "";
    expect(command).toContain("CMD");
    expect(command).toContain("process.env.OPS_PORT");
    expect(command).toContain("/healthz");
    const env = keyword(finalStage, "ENV")
      .map((i) => i.getRawArgumentsContent() ?? "")
      .join(" ");
    expect(env).toMatch(/OPS_PORT=\$\{OPS_PORT\}/);
    expect(env).toMatch(/OPS_HOST=0\.0\.0\.0/);
  });

  it("carries no secret in an ARG or ENV, and no ARG has a default but the base image", () => {
    const secretish = /SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|_KEY\b|DATABASE_URL/i;
    for (const instruction of dockerfile.getInstructions()) {
      const content = instruction.getRawArgumentsContent() ?? "";
      if (instruction.getKeyword() === "ENV") expect(content).not.toMatch(secretish);
      if (instruction.getKeyword() === "ARG") {
        expect(content).not.toMatch(secretish);
        if (content.includes("=")) expect(content).toMatch(/^NODE_IMAGE=/);
      }
    }
  });

  it("installs only the service's production dependencies, without install scripts", () => {
    const install = keyword(stages().flat(), "RUN")
      .map((i) => i.getRawArgumentsContent() ?? "")
      .find((command) => command.includes("npm ci"));
    expect(install).toBeDefined();
    expect(install).toMatch(/--omit=dev/);
    expect(install).toMatch(/--workspace "services\/\$\{SERVICE\}"/);
    expect(install).toMatch(/--include-workspace-root=false/);
    expect(install).toMatch(/--ignore-scripts/);
  });

  it("copies into the final stage only what the earlier stages prepared", () => {
    const copies = keyword(finalStage, "COPY");
    expect(copies.length).toBeGreaterThan(0);
    const stageNames = dockerfile.getFROMs().map((from) => from.getBuildStage());
    for (const copy of copies) {
      expect(copy).toBeInstanceOf(Copy);
      const from = (copy as Copy).getFlags().find((flag) => flag.getName() === "from");
      expect(stageNames).toContain(from?.getValue());
    }
  });

  it("runs main.ts with the V8 limits the dev runner uses", () => {
    const [entrypoint] = keyword(finalStage, "ENTRYPOINT");
    const [cmd] = keyword(finalStage, "CMD");
    expect(JSON.parse(entrypoint?.getRawArgumentsContent() ?? "[]")).toEqual(["node", ...SERVICE_NODE_FLAGS]);
    expect(JSON.parse(cmd?.getRawArgumentsContent() ?? "[]")).toEqual(["src/main.ts"]);
    const workdir = keyword(finalStage, "WORKDIR").map((i) => argumentsOf(i)[0]);
    expect(workdir).toEqual(["/app/services/${SERVICE}"]);
  });

  // The image copies packages/kit and packages/contracts beside the service: a service that came to
  // depend on another workspace would start without it.
  it.each(SERVICES.map((service) => service.name))("has every workspace %s depends on", (name) => {
    const copied = new Set(["@tessera/kit", "@tessera/contracts"]);
    for (const workspace of ["kit", "contracts"]) {
      expect(text).toContain(`COPY packages/${workspace} packages/${workspace}`);
    }
    const seen = new Set<string>();
    const visit = (path: string) => {
      const manifest = JSON.parse(readRepoFile(`${path}/package.json`)) as {
        dependencies?: Record<string, string>;
      };
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        if (!dependency.startsWith("@tessera/") || seen.has(dependency)) continue;
        seen.add(dependency);
        expect(copied).toContain(dependency);
        visit(`packages/${dependency.slice("@tessera/".length)}`);
      }
    };
    visit(`services/${name}`);
  });
});

describe(".dockerignore", () => {
  const lines = readRepoFile(".dockerignore")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));

  it("starts from nothing and lets in only manifests and workspaces", () => {
    expect(lines[0]).toBe("*");
    expect(lines).toEqual(
      expect.arrayContaining(["!package.json", "!package-lock.json", "!packages/", "!services/"]),
    );
  });

  it("keeps out installed modules, local data and tests", () => {
    expect(lines).toEqual(expect.arrayContaining(["**/node_modules", "**/.data", "**/*.test.ts"]));
  });
});
