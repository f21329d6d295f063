/**
 * The package as a consumer gets it: the built project (`npm test` builds it first) packed with
 * `npm pack`, the tarball unpacked into another project's node_modules, then imported by package name from plain
 * `node` (no tsx) and type-checked with `tsc`, so that `files`, `exports`, `types` and the bundled
 * data files are all exercised. The consumer's other dependencies are links to this repo's.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NAME = "langgraph-plan-execute";

let tmp: string;
let consumer: string;
let packed: string[];

const CONSUMER_SCRIPT = `
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { createPlanExecuteAgent, createPlanExecuteTool, encodePlan } from "${NAME}";
import { writeFileSync } from "node:fs";
import { scriptedRoles, startFakeOpenAI } from "${NAME}/testing";

const workspace = mkdtempSync(join(tmpdir(), "pe-consumer-ws-"));
const rows = Array.from({ length: 192 }, (_, i) => "r" + (i % 4) + "," + i + "," + i * 10);
writeFileSync(join(workspace, "sales.csv"), ["region,units,revenue", ...rows].join("\\n") + "\\n");
const step = (id, tool, args) => ({ id, description: id, tool, args, depends_on: [], expected_output: "output" });
const plan = encodePlan([
  step("hits", "search", { query: "AMD revenue 2024" }),
  step("sales", "load_csv", { path: "sales.csv" }),
  step("sum", "calculator", { expression: "2 + 3" }),
]);
const agent = createPlanExecuteAgent({
  models: scriptedRoles({ planner: [{ structured: plan }], synthesizer: ["The sum is 5."] }),
  toolSuite: { workspace },
  checkpointer: new MemorySaver(),
  limits: { maxSteps: 3 },
});
const state = await agent.invoke({ goal: "consumer" }, { configurable: { thread_id: "t1" } });

let invalidOption = null;
try {
  createPlanExecuteAgent({ models: scriptedRoles(), limits: { maxSteps: 0 } });
} catch (err) {
  invalidOption = err.name;
}
let deepImport = null;
try {
  await import("${NAME}/dist/agent/agent.js");
} catch (err) {
  deepImport = err.code;
}
const tool = createPlanExecuteTool(agent);
console.log(
  JSON.stringify({
    answer: state.finalAnswer,
    statuses: Object.fromEntries(Object.entries(state.steps).map(([id, r]) => [id, r.status])),
    searchTop: state.steps.hits.output.results[0]?.source,
    salesRows: state.steps.sales.output.totalRows,
    sum: state.steps.sum.output,
    invalidOption,
    deepImport,
    toolName: tool.name,
    fakeOpenAI: typeof startFakeOpenAI,
  }),
);
`;

const CONSUMER_TYPES = `
import { MemorySaver } from "@langchain/langgraph";
import {
  createPlanExecuteAgent,
  type PlanExecuteAgent,
  type PlanExecuteContext,
  type PlanExecuteStateType,
  type ProgressEvent,
} from "${NAME}";
import type { FakeOpenAI } from "${NAME}/testing";

const agent: PlanExecuteAgent = createPlanExecuteAgent({
  checkpointer: new MemorySaver(),
  policies: { autoApprove: "LOW", toolRisk: { http_get: "HIGH" } },
  limits: { maxSteps: 8, maxCostUsd: 0.5 },
});
// @ts-expect-error a policy is not a limit
createPlanExecuteAgent({ limits: { critic: "all" } });
const context = { maxConcurrency: 2 } satisfies PlanExecuteContext;
export async function answer(goal: string): Promise<string | null> {
  const state: PlanExecuteStateType = await agent.invoke({ goal }, { configurable: { thread_id: goal }, context });
  return state.finalAnswer;
}
export type Seen = ProgressEvent["type"] | FakeOpenAI["url"];
`;

describe("the built package", () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "pe-package-"));
    // The package as `npm pack` makes it from the build `npm test` just made (the e2e setup refuses a
    // stale one), packed from a copy so that nothing is written into the repository.
    const stage = join(tmp, "stage");
    mkdirSync(stage);
    for (const entry of ["package.json", "README.md", ".env.example"]) {
      cpSync(join(ROOT, entry), join(stage, entry));
    }
    for (const dir of ["dist", "bin"]) cpSync(join(ROOT, dir), join(stage, dir), { recursive: true });
    // --ignore-scripts: `prepare` would build again.
    const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], {
      cwd: stage,
    });
    const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    packed = info!.files.map((f) => f.path);

    consumer = join(tmp, "consumer");
    const modules = join(consumer, "node_modules");
    const installed = join(modules, NAME);
    mkdirSync(installed, { recursive: true });
    await run("tar", ["-xzf", join(tmp, info!.filename), "-C", installed, "--strip-components=1"]);
    for (const entry of readdirSync(join(ROOT, "node_modules"))) {
      // mathjs is a devDependency: the built calculator worker carries it inlined, and the consumer
      // (which computes 2 + 3) must not find a copy of it beside the package.
      if (entry === NAME || entry === "mathjs" || entry.startsWith(".")) continue;
      symlinkSync(join(ROOT, "node_modules", entry), join(modules, entry), "dir");
    }
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", type: "module" }));
  }, 90_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("packs the compiled JS with declarations and the data files, and no tests", () => {
    for (const file of [
      "dist/index.js",
      "dist/index.d.ts",
      "dist/agent/agent.d.ts",
      "dist/testing/fake-openai/index.js",
      "dist/tools/index.js",
      "dist/tools/corpus.json",
      "dist/demo/sample-sales.csv",
      "bin/plan-execute.js",
      "package.json",
    ]) {
      expect(packed).toContain(file);
    }
    expect(packed.filter((f) => f.startsWith("test/") || f.endsWith(".test.ts"))).toEqual([]);
  });

  it("runs from plain node by package name: scripted models, bundled corpus and CSV, subpath export", async () => {
    writeFileSync(join(consumer, "main.mjs"), CONSUMER_SCRIPT);
    const { stdout } = await run(process.execPath, ["main.mjs"], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual({
      answer: "The sum is 5.",
      statuses: { hits: "succeeded", sales: "succeeded", sum: "succeeded" },
      searchTop: "AMD fourth quarter and full year 2024 results",
      salesRows: 192,
      sum: 5,
      invalidOption: "PlanExecuteOptionsError",
      deepImport: "ERR_PACKAGE_PATH_NOT_EXPORTED",
      toolName: "plan_and_execute",
      fakeOpenAI: "function",
    });
  });

  it("type-checks a TypeScript consumer against the published declarations", async () => {
    writeFileSync(join(consumer, "main.ts"), CONSUMER_TYPES);
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
        },
        files: ["main.ts"],
      }),
    );
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: consumer }).catch(
      (err: { stdout: string }) => ({ stdout: err.stdout, failed: true }),
    );
    expect(result.stdout).toBe("");
  });
});
