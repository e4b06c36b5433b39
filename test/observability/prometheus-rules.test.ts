import { execFile } from "node:child_process";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createTempDir } from "../support/temp-dir.ts";

// deploy/prometheus checked by Debian's promtool (.ci/run installs the `prometheus` package).

const run = promisify(execFile);
const directory = new URL("../../deploy/prometheus/", import.meta.url).pathname;
const promtool = (...args: string[]) => run("promtool", args, { cwd: directory });

describe("deploy/prometheus", () => {
  it.each(["prometheus.yml", "prometheus.compose.yml"])("%s is a valid configuration", async (file) => {
    const { stdout } = await promtool("check", "config", file);
    expect(stdout).toContain(`SUCCESS: ${file} is valid prometheus config file syntax`);
  });

  it("prometheus.k8s.yml is valid apart from Kubernetes discovery, which Debian's build leaves out", async () => {
    const text = await readFile(join(directory, "prometheus.k8s.yml"), "utf8");
    expect(text).toMatch(/kubernetes_sd_configs:\n\s+- role: pod\n/);
    expect(text).toContain("__meta_kubernetes_pod_label_app_kubernetes_io_part_of]\n        regex: tessera");
    expect(text).toContain("__meta_kubernetes_pod_container_port_name]\n        regex: ops");
    // The same file with static targets in place of discovery: everything else (relabelling, rule
    // files) is checked by promtool as it stands.
    const temp = await createTempDir("tessera-promtool-");
    try {
      const file = join(temp, "prometheus.k8s.yml");
      await writeFile(
        file,
        text
          .replace(/kubernetes_sd_configs:\n\s+- role: pod\n/, "static_configs: [{ targets: [pod:9054] }]\n")
          .replaceAll("rules/", `${directory}rules/`),
      );
      const { stdout } = await run("promtool", ["check", "config", file]);
      expect(stdout).toContain("is valid prometheus config file syntax");
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  });

  it("has valid recording and alerting rules", async () => {
    const { stdout } = await promtool("check", "rules", "rules/recording.yml", "rules/alerts.yml");
    expect(stdout).toContain("SUCCESS: 6 rules found");
    expect(stdout).toContain("SUCCESS: 8 rules found");
  });

  it("has a passing unit test for every alert", async () => {
    const alerts = [
      ...(await readFile(join(directory, "rules/alerts.yml"), "utf8")).matchAll(/- alert: (\w+)/g),
    ].map((match) => match[1]!);
    const tests = (await readdir(join(directory, "tests"))).filter((name) => name.endsWith(".yml")).sort();
    const tested = await Promise.all(tests.map((name) => readFile(join(directory, "tests", name), "utf8")));
    for (const alert of alerts)
      expect(
        tested.some((text) => text.includes(`alertname: ${alert}`)),
        alert,
      ).toBe(true);
    const { stdout } = await promtool("test", "rules", ...tests.map((name) => `tests/${name}`));
    expect(stdout.match(/ SUCCESS/g)).toHaveLength(tests.length);
  });
});
