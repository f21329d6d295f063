/**
 * langgraph.json is what `langgraph dev`, LangGraph Studio and LangGraph Platform read: every
 * graph it names must be a file that exists and exports a compiled graph under that name.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CompiledStateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const config = JSON.parse(readFileSync(join(ROOT, "langgraph.json"), "utf8")) as {
  node_version?: string;
  dependencies: string[];
  graphs: Record<string, string>;
  env?: string | Record<string, string>;
};
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };

describe("langgraph.json", () => {
  it("names at least one graph, each as path:export", () => {
    expect(Object.keys(config.graphs).length).toBeGreaterThan(0);
    for (const spec of Object.values(config.graphs)) expect(spec).toMatch(/^\.\/[^:]+\.ts:[A-Za-z_$][\w$]*$/);
  });

  for (const [id, spec] of Object.entries(config.graphs)) {
    it(`graph "${id}" (${spec}): the file exists and exports a compiled plan-and-execute graph`, async () => {
      const [file, exportName] = spec.split(":") as [string, string];
      const path = join(ROOT, file);
      expect(existsSync(path), `${file} does not exist`).toBe(true);
      const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
      expect(Object.keys(module), `${file} has no export "${exportName}"`).toContain(exportName);
      const graph = module[exportName] as CompiledStateGraph<unknown, unknown, string>;
      expect(graph).toBeInstanceOf(CompiledStateGraph);
      expect(typeof graph.invoke).toBe("function");
      const drawn = await graph.getGraphAsync();
      expect(Object.keys(drawn.nodes)).toEqual(
        expect.arrayContaining(["planner", "executor", "evaluator", "replanner", "synthesizer"]),
      );
    });
  }

  it("lists dependency folders that exist and hold a package.json", () => {
    expect(config.dependencies.length).toBeGreaterThan(0);
    for (const dep of config.dependencies) expect(existsSync(join(ROOT, dep, "package.json"))).toBe(true);
  });

  it("asks for a Node version that package.json's engines allow", () => {
    const minimum = Number(/(\d+)/.exec(pkg.engines.node)?.[1]);
    expect(Number(config.node_version)).toBeGreaterThanOrEqual(minimum);
  });

  it("reads an env file that is git-ignored and documented by .env.example (langgraph dev runs without it)", () => {
    // `langgraph dev` warns "Env file ... not found. Continuing without it." when the file is missing,
    // so a fresh checkout works; the file itself holds secrets and must never be committed.
    if (typeof config.env !== "string") return;
    const gitignore = readFileSync(join(ROOT, ".gitignore"), "utf8").split("\n");
    expect(gitignore).toContain(config.env);
    expect(existsSync(join(ROOT, `${config.env}.example`))).toBe(true);
  });
});
