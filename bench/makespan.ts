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

interface Span {
  id: string;
  start: number;
  end: number;
}

function timedTool(spans: Span[]): PlanTool<{ ms: number }> {
  return {
    name: "work",
    description: "simulated work",
    schema: z.object({ ms: z.number() }).strict(),
    risk: "LOW",
    async run({ ms }, ctx) {
      const start = performance.now();
      await sleep(ms);
      spans.push({ id: ctx.step.id, start, end: performance.now() });
      return ms;
    },
  };
}

/** The tool run outside the graph (baselines): `ctx` carries only the step id. */
const runStep = (tool: PlanTool<{ ms: number }>, s: BenchStep) =>
  tool.run({ ms: s.ms }, { step: { id: s.id } } as never);

/**
 * One scheduler's run: its makespan ÷ the critical path of the nominal durations (`ratio`), and ÷ the
 * critical path of the durations the steps really took in that run (`scheduling`). A sleep of
 * `ms` lasts longer than `ms` (timer granularity, and more under CPU contention); the second ratio
 * takes that out and leaves what the scheduler adds: time between a step's dependencies ending and
 * its own start.
 */
function judge(steps: BenchStep[], spans: Span[], bound: number) {
  const took = new Map(spans.map((s) => [s.id, s.end - s.start]));
  const measured = criticalPath(steps, (id) => took.get(id) ?? 0);
  const span = makespan(spans);
  const overshoot = spans.reduce((n, s) => n + (s.end - s.start), 0) / spans.length;
  const nominal = steps.reduce((n, s) => n + s.ms, 0) / steps.length;
  return { ratio: span / bound, scheduling: span / measured, overshootMs: overshoot - nominal };
}

const makespan = (spans: Span[]) =>
  Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start));

async function runGraph(steps: BenchStep[]): Promise<Span[]> {
  const spans: Span[] = [];
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
  return spans;
}

async function runWaves(steps: BenchStep[]): Promise<Span[]> {
  const spans: Span[] = [];
  const tool = timedTool(spans);
  for (const wave of waves(steps)) await Promise.all(wave.map((s) => runStep(tool, s)));
  return spans;
}

/** One step at a time, in plan order (a topological order): what a sequential agent loop does. */
async function runSequential(steps: BenchStep[]): Promise<Span[]> {
  const spans: Span[] = [];
  const tool = timedTool(spans);
  for (const s of steps) await runStep(tool, s);
  return spans;
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
  /**
   * The executor's makespan ÷ the critical path of the durations its steps really took: the delay
   * the scheduler adds, without the sleeps' own overshoot (see {@link judge}).
   */
  executorScheduling: number;
  /** How much longer than asked a step's sleep lasted, on average, in the executor's run and the waves'. */
  overshootMs: { executor: number; waves: number };
}

export interface MakespanResult {
  rows: MakespanRow[];
  mean: { executor: number; waves: number; sequential: number; executorScheduling: number };
  max: { executor: number; waves: number; sequential: number; executorScheduling: number };
  /** Median over the DAGs of the executor's scheduling ratio: what CI asserts. */
  medianScheduling: number;
}

/**
 * The bound CI holds the executor to: median makespan within 5% of the critical path of the
 * durations the steps took in the same run. The ratio to the nominal critical path (`executor`) is
 * still measured and reported; it also counts how much longer than asked each sleep lasted: the
 * machine's timer and load (0.3-1 ms per step on an idle machine, 2-26 ms with both cores busy),
 * and the graph's own CPU work in the same event loop, which delays the sleeps' timers (the
 * executor's overshoot runs above the wave baseline's under load). A scheduling regression (a
 * step started late) still shows in the measured-path ratio; a CPU regression shows in the
 * overshoot and the nominal ratio, which the report keeps side by side.
 */
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
    const graph = judge(steps, await runGraph(steps), bound);
    const wave = judge(steps, await runWaves(steps), bound);
    const sequential =
      options.sequential === false ? NaN : judge(steps, await runSequential(steps), bound).ratio;
    rows.push({
      seed: seed0 + i,
      steps: steps.length,
      bound,
      executor: graph.ratio,
      waves: wave.ratio,
      sequential,
      executorScheduling: graph.scheduling,
      overshootMs: { executor: graph.overshootMs, waves: wave.overshootMs },
    });
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const of = (key: "executor" | "waves" | "sequential" | "executorScheduling") => rows.map((r) => r[key]);
  const sorted = of("executorScheduling").sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    rows,
    mean: {
      executor: mean(of("executor")),
      waves: mean(of("waves")),
      sequential: mean(of("sequential")),
      executorScheduling: mean(of("executorScheduling")),
    },
    max: {
      executor: Math.max(...of("executor")),
      waves: Math.max(...of("waves")),
      sequential: Math.max(...of("sequential")),
      executorScheduling: Math.max(...of("executorScheduling")),
    },
    medianScheduling: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
  };
}

export function printMakespan(result: MakespanResult): void {
  console.log(
    "seed  steps  bound(ms)  executor  wave-baseline  sequential  executor÷measured path  overshoot/step ms (executor, waves)",
  );
  for (const r of result.rows) {
    console.log(
      `${String(r.seed).padStart(4)}  ${String(r.steps).padStart(5)}  ${String(r.bound).padStart(9)}  ${r.executor.toFixed(3).padStart(8)}  ${r.waves.toFixed(3).padStart(13)}  ${r.sequential.toFixed(3).padStart(10)}  ${r.executorScheduling.toFixed(3).padStart(22)}  ${r.overshootMs.executor.toFixed(1)}, ${r.overshootMs.waves.toFixed(1)}`,
    );
  }
  const { mean, max } = result;
  console.log(`\nexecutor: mean ${mean.executor.toFixed(3)}, max ${max.executor.toFixed(3)}`);
  console.log(
    `executor ÷ critical path of the measured durations: median ${result.medianScheduling.toFixed(3)}, ` +
      `mean ${mean.executorScheduling.toFixed(3)}, max ${max.executorScheduling.toFixed(3)}`,
  );
  console.log(`wave baseline: mean ${mean.waves.toFixed(3)}, max ${max.waves.toFixed(3)}`);
  console.log(`sequential: mean ${mean.sequential.toFixed(3)}, max ${max.sequential.toFixed(3)}`);
}

/** False, with the reason printed, when the executor misses {@link MAKESPAN_TARGET}. */
export function checkMakespan(result: MakespanResult): boolean {
  if (result.medianScheduling <= MAKESPAN_TARGET) return true;
  console.error(
    `executor median ratio to the measured critical path ${result.medianScheduling.toFixed(3)} is above the ` +
      `${MAKESPAN_TARGET} target`,
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
