/**
 * Streaming planner benchmark: end-to-end latency of a run with `planStreaming` on and off, side by
 * side on the same seeded DAGs. The planner is a scripted model that writes its plan at a set
 * token rate (four characters a token), streamed or not: an unstreamed call answers after the time
 * the whole plan takes to write, as a real model would. Steps are LOW (read-only) unless a share
 * of MEDIUM steps is asked for: those, and their dependents, wait for the whole plan in both modes.
 *
 *   npx tsx bench/streaming.ts                 # 8 DAGs at 100 tokens/s, every step LOW
 *   npx tsx bench/streaming.ts --medium 0.25   # a quarter of the steps MEDIUM
 *   npx tsx bench/streaming.ts --quick         # 3 DAGs at 400 tokens/s, steps a quarter as long
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { MemorySaver } from "@langchain/langgraph";
import { z } from "zod";
import { createPlanExecuteAgent } from "../src/agent/agent.js";
import { isProgressEvent } from "../src/core/events.js";
import { MODEL_ROLES } from "../src/core/roles.js";
import { resolveSettings } from "../src/core/settings.js";
import { criticalPath } from "../src/plan/dag.js";
import { ScriptedChatModel } from "../src/testing/scripted.js";
import { ToolRegistry } from "../src/tools/registry.js";
import type { PlanTool, RiskTier } from "../src/tools/types.js";
import { median } from "./harness.js";
import { mulberry32 } from "./makespan.js";

interface DagStep {
  id: string;
  depends_on: string[];
  ms: number;
  risk: "LOW" | "MEDIUM";
}

/**
 * 8–14 steps of 500–3,000 ms (a web search, a model call) × `scale`, each depending on up to two
 * earlier ones; a share `medium` of them MEDIUM.
 */
export function streamingDag(seed: number, medium = 0, scale = 1): DagStep[] {
  const rand = mulberry32(seed * 7919);
  const n = 8 + Math.floor(rand() * 7);
  return Array.from({ length: n }, (_, i) => {
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(rand() * 3);
    for (let k = 0; k < count; k++) deps.add(`step_${Math.floor(rand() * i) + 1}`);
    return {
      id: `step_${i + 1}`,
      depends_on: [...deps],
      ms: Math.round((500 + Math.floor(rand() * 2500)) * scale),
      risk: rand() < medium ? "MEDIUM" : "LOW",
    };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function workTool(name: string, risk: RiskTier): PlanTool<{ ms: number; topic: string }> {
  return {
    name,
    description: `simulated ${risk} work`,
    schema: z.object({ ms: z.number(), topic: z.string() }).strict(),
    risk,
    async run({ ms, topic }) {
      await sleep(ms);
      return `${topic}: ${ms}`;
    },
  };
}

/** The plan as a model writes it: realistic descriptions, so the plan has a realistic length. */
function planReply(steps: DagStep[]) {
  return {
    structured: {
      steps: steps.map((s) => ({
        id: s.id,
        description: `Find the figures for part ${s.id.slice(5)} of the report.`,
        tool: s.risk === "LOW" ? "read" : "write",
        args: JSON.stringify({ ms: s.ms, topic: `figures ${s.id}` }),
        depends_on: s.depends_on,
        expected_output: "The figures, with their source.",
        reflect: false,
      })),
    },
  };
}

interface RunTimes {
  /** Input to final state, ms. */
  totalMs: number;
  /** Input to the plan_created event (plan written, parsed and validated), ms. */
  planMs: number;
}

async function runOnce(steps: DagStep[], streaming: boolean, tokensPerSecond: number): Promise<RunTimes> {
  const models = Object.fromEntries(
    MODEL_ROLES.map((role) => [
      role,
      new ScriptedChatModel({
        name: role,
        replies: role === "planner" ? [planReply(steps)] : ["done"],
        ...(role === "planner" ? { tokensPerSecond } : {}),
      }),
    ]),
  ) as Record<(typeof MODEL_ROLES)[number], ScriptedChatModel>;
  const agent = createPlanExecuteAgent({
    models,
    tools: new ToolRegistry([workTool("read", "LOW"), workTool("write", "MEDIUM")]),
    checkpointer: new MemorySaver(),
  });
  const started = performance.now();
  let planAt = NaN;
  const stream = await agent.stream(
    { goal: "bench" },
    {
      configurable: { thread_id: "bench" },
      context: resolveSettings({ maxConcurrency: 16, maxSteps: 20, planStreaming: streaming }),
      streamMode: "custom",
    },
  );
  for await (const chunk of stream) {
    if (isProgressEvent(chunk) && chunk.type === "plan_created") planAt = performance.now();
  }
  const totalMs = performance.now() - started;
  const state = (await agent.getState({ configurable: { thread_id: "bench" } })).values as {
    finalAnswer: string | null;
    steps: Record<string, { status: string }>;
  };
  const done = Object.values(state.steps).filter((s) => s.status === "succeeded").length;
  if (state.finalAnswer !== "done" || done !== steps.length)
    throw new Error(`streaming bench: run incomplete (${done}/${steps.length})`);
  return { totalMs, planMs: planAt - started };
}

export interface StreamingRow {
  seed: number;
  steps: number;
  mediumSteps: number;
  /** Critical path of the steps alone, ms. */
  criticalPathMs: number;
  /** Plan length in characters (the wire JSON). */
  planChars: number;
  off: RunTimes;
  on: RunTimes;
  /** off.totalMs ÷ on.totalMs */
  speedup: number;
  /** Share of the unstreamed run spent before the plan existed. */
  planShare: number;
}

export interface StreamingResult {
  tokensPerSecond: number;
  /** Share of MEDIUM steps asked for (they wait for the whole plan). */
  medium: number;
  /** Step durations are 0.5–3 s times this. */
  scale: number;
  rows: StreamingRow[];
  medianSpeedup: number;
  minPlanShare: number;
}

/** The target: the streaming planner ≥ 1.3× faster (median) where planning is ≥ 30% of the run. */
export const STREAMING_TARGET = 1.3;

export async function measureStreaming(
  options: { dags?: number; tokensPerSecond?: number; seed?: number; medium?: number; scale?: number } = {},
): Promise<StreamingResult> {
  const tokensPerSecond = options.tokensPerSecond ?? 100;
  const medium = options.medium ?? 0;
  const rows: StreamingRow[] = [];
  for (let i = 0; i < (options.dags ?? 10); i++) {
    const seed = (options.seed ?? 1) + i;
    const steps = streamingDag(seed, medium, options.scale ?? 1);
    // Alternate which mode goes first, so neither always runs on a warmer process.
    const first = await runOnce(steps, i % 2 === 0, tokensPerSecond);
    const second = await runOnce(steps, i % 2 !== 0, tokensPerSecond);
    const on = i % 2 === 0 ? first : second;
    const off = i % 2 === 0 ? second : first;
    rows.push({
      seed,
      steps: steps.length,
      mediumSteps: steps.filter((s) => s.risk === "MEDIUM").length,
      criticalPathMs: criticalPath(steps, (id) => steps.find((s) => s.id === id)?.ms ?? 0),
      planChars: JSON.stringify(planReply(steps).structured).length,
      off,
      on,
      speedup: off.totalMs / on.totalMs,
      planShare: off.planMs / off.totalMs,
    });
  }
  return {
    tokensPerSecond,
    medium,
    scale: options.scale ?? 1,
    rows,
    medianSpeedup: median(rows.map((r) => r.speedup)),
    minPlanShare: Math.min(...rows.map((r) => r.planShare)),
  };
}

export function printStreaming(result: StreamingResult): void {
  console.log(`planner at ${result.tokensPerSecond} tokens/s; ${result.medium * 100}% of steps MEDIUM`);
  console.log("seed  steps  medium  plan chars  crit. path  off: plan / total   on: plan / total   speedup");
  for (const r of result.rows) {
    const t = (x: RunTimes) => `${(x.planMs / 1000).toFixed(2)} / ${(x.totalMs / 1000).toFixed(2)} s`;
    console.log(
      `${String(r.seed).padEnd(5)} ${String(r.steps).padEnd(6)} ${String(r.mediumSteps).padEnd(7)} ${String(r.planChars).padEnd(11)} ${`${r.criticalPathMs} ms`.padEnd(11)} ${t(r.off).padEnd(19)} ${t(r.on).padEnd(18)} ${r.speedup.toFixed(2)}×`,
    );
  }
  console.log(
    `median speedup ${result.medianSpeedup.toFixed(2)}× (target ≥ ${STREAMING_TARGET}×); planning ≥ ${(result.minPlanShare * 100).toFixed(0)}% of every unstreamed run`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, medium: { type: "string", default: "0" } },
  });
  const medium = Number(values.medium);
  printStreaming(
    await measureStreaming(
      values.quick
        ? { dags: 3, tokensPerSecond: 400, scale: 0.25, medium }
        : { dags: 8, tokensPerSecond: 100, medium },
    ),
  );
}
