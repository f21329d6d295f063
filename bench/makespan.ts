/**
 * Makespan benchmark: seeded random DAGs, each with one slow straggler. For every DAG the same
 * steps run twice, side by side in one process:
 *   - through the real graph (planner → executor → evaluator → synthesizer on scripted models),
 *   - through a wave-at-a-time baseline (each dependency level waits for the slowest of the level above).
 * Both are reported as makespan ÷ critical-path bound (the best any scheduler can do).
 *
 *   npm run bench:makespan                 # 20 DAGs
 *   npm run bench:makespan -- --dags 5     # a short run (CI)
 */
import { parseArgs } from "node:util";
import { MemorySaver } from "@langchain/langgraph";
import { z } from "zod";
import { createPlanExecuteAgent } from "../src/agent/agent.js";
import { resolveSettings } from "../src/core/settings.js";
import { MODEL_ROLES } from "../src/core/roles.js";
import { ScriptedChatModel } from "../src/testing/scripted.js";
import { criticalPath, waves } from "../src/plan/dag.js";
import { ToolRegistry } from "../src/tools/registry.js";
import type { PlanTool } from "../src/tools/types.js";

interface BenchStep {
  id: string;
  depends_on: string[];
  ms: number;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 8–14 steps, each depending on up to two earlier ones; 20–120 ms each, one 600 ms straggler. */
export function randomDag(seed: number): BenchStep[] {
  const rand = mulberry32(seed);
  const n = 8 + Math.floor(rand() * 7);
  const steps: BenchStep[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(rand() * 3);
    for (let k = 0; k < count; k++) deps.add(`s${Math.floor(rand() * i)}`);
    steps.push({ id: `s${i}`, depends_on: [...deps], ms: 20 + Math.floor(rand() * 100) });
  }
  const straggler = steps[Math.floor(rand() * Math.min(3, n))] as BenchStep;
  straggler.ms = 600;
  return steps;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function timedTool(spans: { start: number; end: number }[]): PlanTool<{ ms: number }> {
  return {
    name: "work",
    description: "simulated work",
    schema: z.object({ ms: z.number() }).strict(),
    risk: "LOW",
    async run({ ms }) {
      const start = performance.now();
      await sleep(ms);
      spans.push({ start, end: performance.now() });
      return ms;
    },
  };
}

const makespan = (spans: { start: number; end: number }[]) =>
  Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start));

async function runGraph(steps: BenchStep[]): Promise<number> {
  const spans: { start: number; end: number }[] = [];
  const planReply = {
    structured: {
      steps: steps.map((s) => ({
        id: s.id,
        description: s.id,
        tool: "work",
        args: JSON.stringify({ ms: s.ms }),
        depends_on: s.depends_on,
        expected_output: "ms",
      })),
    },
  };
  const models = Object.fromEntries(
    MODEL_ROLES.map((role) => [
      role,
      new ScriptedChatModel({ name: role, replies: role === "planner" ? [planReply] : ["done"] }),
    ]),
  ) as Record<(typeof MODEL_ROLES)[number], ScriptedChatModel>;
  const agent = createPlanExecuteAgent({
    models,
    tools: new ToolRegistry([timedTool(spans)]),
    checkpointer: new MemorySaver(),
  });
  const result = await agent.invoke(
    { goal: "bench" },
    { configurable: { thread_id: "bench" }, context: resolveSettings({ maxConcurrency: 64, maxSteps: 100 }) },
  );
  if (result.finalAnswer !== "done" || spans.length !== steps.length) throw new Error("graph run incomplete");
  return makespan(spans);
}

async function runWaves(steps: BenchStep[]): Promise<number> {
  const spans: { start: number; end: number }[] = [];
  const tool = timedTool(spans);
  for (const wave of waves(steps)) {
    await Promise.all(wave.map((s) => tool.run({ ms: s.ms }, {} as never)));
  }
  return makespan(spans);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { dags: { type: "string", default: "20" }, seed: { type: "string", default: "1" } },
  });
  const count = Number(values.dags);
  const seed0 = Number(values.seed);
  const rows: { seed: number; steps: number; bound: number; graph: number; waves: number }[] = [];
  for (let i = 0; i < count; i++) {
    const steps = randomDag(seed0 + i);
    const bound = criticalPath(steps, (id) => steps.find((s) => s.id === id)?.ms ?? 0);
    const graph = await runGraph(steps);
    const wave = await runWaves(steps);
    rows.push({ seed: seed0 + i, steps: steps.length, bound, graph: graph / bound, waves: wave / bound });
  }
  console.log("seed  steps  bound(ms)  executor  wave-baseline   (makespan ÷ critical path)");
  for (const r of rows) {
    console.log(
      `${String(r.seed).padStart(4)}  ${String(r.steps).padStart(5)}  ${String(r.bound).padStart(9)}  ${r.graph.toFixed(3).padStart(8)}  ${r.waves.toFixed(3).padStart(13)}`,
    );
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const g = rows.map((r) => r.graph);
  const w = rows.map((r) => r.waves);
  console.log(`\nexecutor: mean ${mean(g).toFixed(3)}, max ${Math.max(...g).toFixed(3)}`);
  console.log(`wave baseline: mean ${mean(w).toFixed(3)}, max ${Math.max(...w).toFixed(3)}`);
  const target = 1.05;
  if (mean(g) > target) {
    console.error(`executor mean ratio ${mean(g).toFixed(3)} is above the ${target} target`);
    process.exitCode = 1;
  }
}

await main();
