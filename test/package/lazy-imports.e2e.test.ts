import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The main entry loads no client library and no tool dependency an app does not use: an app that
 * brings its own models and tools never loads @langchain/openai, and no built-in tool's
 * dependency (Tavily, the CSV parser, mathjs, the MCP adapters) is loaded before a tool runs.
 * Checked on the built package in a fresh process, through a module-resolution hook that logs
 * every module the process resolves.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
// Inside the package (ignored by git), so the child's bare imports resolve to its node_modules.
mkdirSync(join(root, ".test-build"), { recursive: true });
const dir = mkdtempSync(join(root, ".test-build", "lazy-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOT_LOADED = [
  "@langchain/openai",
  "openai",
  "@langchain/tavily",
  "csv-parse",
  "mathjs",
  "@langchain/mcp-adapters",
  // The PostgreSQL client: the thread leases load it when a lease is first taken on PostgreSQL.
  "pg",
];

/** Runs `body` (ES module code) in a fresh node whose resolved module URLs are logged; returns them. */
function resolvedBy(body: string): string[] {
  const log = join(dir, `resolved-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(
    join(dir, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.RESOLVED_LOG, result.url + "\\n");
  return result;
}`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`,
  );
  const script = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(script, body);
  const result = spawnSync(process.execPath, ["--import", join(dir, "register.mjs"), script], {
    cwd: root,
    env: { ...process.env, RESOLVED_LOG: log },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return readFileSync(log, "utf8").trim().split("\n");
}

const packages = (urls: string[]) =>
  new Set(
    urls.flatMap((u) => {
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
      return m ? [m[1] as string] : [];
    }),
  );

const dist = (file: string) => JSON.stringify(pathToFileURL(join(root, "dist", file)).href);

describe("the main entry imports only what an app uses", () => {
  it("an agent on its own models and tools runs a plan without loading any client or tool library", () => {
    const loaded = packages(
      resolvedBy(`
import { z } from "zod";
import { MemorySaver } from "@langchain/langgraph";
import { createPlanExecuteAgent } from ${dist("index.js")};
import { scriptedRoles } from ${dist("testing/index.js")};
import { ToolRegistry } from ${dist("tools/registry.js")};
const echo = { name: "echo", description: "echoes", risk: "LOW", schema: z.object({ text: z.string() }).strict(), run: async (a) => a.text };
const plan = { structured: { steps: [{ id: "a", description: "echo", tool: "echo", args: JSON.stringify({ text: "hi" }), depends_on: [], expected_output: "hi", reflect: false }] } };
const agent = createPlanExecuteAgent({
  models: scriptedRoles({ planner: [plan], synthesizer: ["said hi [a]"] }),
  tools: new ToolRegistry([echo]),
  checkpointer: new MemorySaver(),
});
const out = await agent.invoke({ goal: "say hi" }, { configurable: { thread_id: "t" } });
if (out.finalAnswer !== "said hi [a]") throw new Error("unexpected answer: " + out.finalAnswer);
`),
    );
    expect(loaded.has("@langchain/langgraph")).toBe(true);
    for (const name of NOT_LOADED) expect(loaded.has(name), `${name} was loaded`).toBe(false);
  });

  it("the built-in tool suite loads its dependencies only when a tool runs (control: the hook sees them then)", () => {
    const urls = resolvedBy(`
import { createDefaultTools } from ${dist("tools/index.js")};
const tools = createDefaultTools({ workspace: ${JSON.stringify(dir)}, webSearchApiKey: "k" });
if (!tools.some((t) => t.name === "load_csv")) throw new Error("no load_csv tool");
const { appendFileSync } = await import("node:fs");
appendFileSync(process.env.RESOLVED_LOG, "--- tools created\\n");
const { parseCsv } = await import(${dist("tools/data.js")});
await parseCsv("a,b\\n1,2\\n", 10);
await import("@langchain/openai");
`);
    const cut = urls.indexOf("--- tools created");
    expect(cut).toBeGreaterThan(0);
    const before = packages(urls.slice(0, cut));
    const after = packages(urls.slice(cut));
    for (const name of NOT_LOADED) expect(before.has(name), `${name} was loaded with the suite`).toBe(false);
    expect(after.has("csv-parse")).toBe(true);
    expect(after.has("@langchain/openai")).toBe(true);
  });
});
