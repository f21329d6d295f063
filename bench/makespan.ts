/**
 * Makespan benchmark: seeded random DAGs, each with one slow straggler. For every DAG the same
 * steps run three times, side by side in one process:
 *   - through the real graph (planner → executor → evaluator → synthesizer on scripted models),
 *   - through a wave-at-a-time baseline (each dependency level waits for the slowest of the level above),
 *   - one step at a time (a sequential agent loop).
 * Each is reported as makespan ÷ critical-path bound (the best any scheduler can do).
 *
 *   npm run bench:makespan                 # 20 DAGs
 *   npm run bench:makespan -- --dags 5     # a short run (CI)
 */
import { pathToFileURL } from "node:url";
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

export interface BenchStep {
  id: string;
  depends_on: string[];
  ms: number;
}

export function mulberry32(seed: number): () => number {
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

/** One step at a time, in plan order (a topological order): what a sequential agent loop does. */
async function runSequential(steps: BenchStep[]): Promise<number> {
  const spans: { start: number; end: number }[] = [];
  const tool = timedTool(spans);
  for (const s of steps) await tool.run({ ms: s.ms }, {} as never);
  return makespan(spans);
}

export interface MakespanRow {
  seed: number;
  steps: number;
  /** Critical path in ms: the best any scheduler can do. */
  bound: number;
  /** Makespan ÷ bound of this agent's executor, the wave baseline, and one step at a time. */
  executor: number;
  waves: number;
  sequential: number;
}

export interface MakespanResult {
  rows: MakespanRow[];
  mean: { executor: number; waves: number; sequential: number };
  max: { executor: number; waves: number; sequential: number };
}

/** The bound CI holds the executor to: mean makespan within 5% of the critical path. */
export const MAKESPAN_TARGET = 1.05;

export async function measureMakespan(
  options: { dags?: number; seed?: number; sequential?: boolean } = {},
): Promise<MakespanResult> {
  const count = options.dags ?? 20;
  const seed0 = options.seed ?? 1;
  const rows: MakespanRow[] = [];
  for (let i = 0; i < count; i++) {
    const steps = randomDag(seed0 + i);
    const bound = criticalPath(steps, (id) => steps.find((s) => s.id === id)?.ms ?? 0);
    const graph = await runGraph(steps);
    const wave = await runWaves(steps);
    const sequential = options.sequential === false ? NaN : await runSequential(steps);
    rows.push({
      seed: seed0 + i,
      steps: steps.length,
      bound,
      executor: graph / bound,
      waves: wave / bound,
      sequential: sequential / bound,
    });
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const of = (key: "executor" | "waves" | "sequential") => rows.map((r) => r[key]);
  return {
    rows,
    mean: { executor: mean(of("executor")), waves: mean(of("waves")), sequential: mean(of("sequential")) },
    max: {
      executor: Math.max(...of("executor")),
      waves: Math.max(...of("waves")),
      sequential: Math.max(...of("sequential")),
    },
  };
}

export function printMakespan(result: MakespanResult): void {
  console.log("seed  steps  bound(ms)  executor  wave-baseline  sequential   (makespan ÷ critical path)");
  for (const r of result.rows) {
    console.log(
      `${String(r.seed).padStart(4)}  ${String(r.steps).padStart(5)}  ${String(r.bound).padStart(9)}  ${r.executor.toFixed(3).padStart(8)}  ${r.waves.toFixed(3).padStart(13)}  ${r.sequential.toFixed(3).padStart(10)}`,
    );
  }
  const { mean, max } = result;
  console.log(`\nexecutor: mean ${mean.executor.toFixed(3)}, max ${max.executor.toFixed(3)}`);
  console.log(`wave baseline: mean ${mean.waves.toFixed(3)}, max ${max.waves.toFixed(3)}`);
  console.log(`sequential: mean ${mean.sequential.toFixed(3)}, max ${max.sequential.toFixed(3)}`);
}

/** False, with the reason printed, when the executor misses {@link MAKESPAN_TARGET}. */
export function checkMakespan(result: MakespanResult): boolean {
  if (result.mean.executor <= MAKESPAN_TARGET) return true;
  console.error(
    `executor mean ratio ${result.mean.executor.toFixed(3)} is above the ${MAKESPAN_TARGET} target`,
  );
  return false;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: { dags: { type: "string", default: "20" }, seed: { type: "string", default: "1" } },
  });
  const result = await measureMakespan({ dags: Number(values.dags), seed: Number(values.seed) });
  printMakespan(result);
  if (!checkMakespan(result)) process.exitCode = 1;
}
