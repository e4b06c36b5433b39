import { parser } from "@prometheus-io/lezer-promql";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * The metric names a PromQL expression selects, from Prometheus' own grammar (lezer-promql);
 * throws when the expression does not parse.
 */
export function seriesOf(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  let error = false;
  tree.iterate({
    enter(node) {
      if (node.type.isError) error = true;
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector")
        names.push(expr.slice(node.from, node.to));
    },
  });
  if (error) throw new Error(`does not parse: ${expr}`);
  return names;
}

/** Every query of every panel (and template variable) of the dashboards in `directory`, by dashboard. */
export async function dashboardQueries(directory: string): Promise<{ dashboard: string; expr: string }[]> {
  const files = (await readdir(directory)).filter((name) => name.endsWith(".json"));
  const queries: { dashboard: string; expr: string }[] = [];
  for (const file of files) {
    const dashboard = JSON.parse(await readFile(join(directory, file), "utf8")) as {
      panels: { targets: { expr: string }[] }[];
      templating: { list: { query: string }[] };
    };
    for (const panel of dashboard.panels)
      for (const { expr } of panel.targets) queries.push({ dashboard: file, expr });
    for (const variable of dashboard.templating.list) {
      const inner = /^label_values\((\w+),/.exec(variable.query);
      if (inner?.[1]) queries.push({ dashboard: file, expr: inner[1] });
    }
  }
  return queries;
}

/** The names recording rules define, from rule files' `record:` lines. */
export async function recordedNames(files: readonly string[]): Promise<string[]> {
  const texts = await Promise.all(files.map((file) => readFile(file, "utf8")));
  return texts.flatMap((text) => [...text.matchAll(/^\s*- record: (\S+)$/gm)].map((match) => match[1]!));
}
