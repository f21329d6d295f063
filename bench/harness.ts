/**
 * What the overhead and checkpoint benchmarks share: plan shapes, this agent run on a given plan,
 * and the baselines it is compared with (plain promises, a graph with one `Send` per step per wave).
 */
import {
  Annotation,
  BinaryOperatorAggregate,
  END,
  MemorySaver,
  Send,
  START,
  StateGraph,
} from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { z } from "zod";
import { createPlanExecuteAgent } from "../src/agent/agent.js";
import { mergeStepRecords } from "../src/core/state.js";
import { buildPlanExecuteGraph } from "../src/graph/builder.js";
import { idRecord } from "../src/plan/ids.js";
import { MODEL_ROLES } from "../src/core/roles.js";
import { pendingRecords } from "../src/nodes/planning.js";
import type { PlanStep } from "../src/plan/schema.js";
import { ScriptedChatModel } from "../src/testing/scripted.js";
import { ToolRegistry } from "../src/tools/registry.js";
import type { PlanTool } from "../src/tools/types.js";
import { mulberry32 } from "./makespan.js";

export type Shape = "chain" | "random";

/** A step of a benchmark plan: an id and the ids it depends on. */
export interface Node {
  id: string;
  depends_on: string[];
}

/**
 * `chain`: each step depends on the one before. `random`: each step depends on up to two of the
 * eight steps before it (seeded), so there is both parallelism and depth.
 */
export function planShape(shape: Shape, n: number, seed = 7): Node[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    if (shape === "chain") return { id: `s${i}`, depends_on: i ? [`s${i - 1}`] : [] };
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(rand() * 3);
    for (let k = 0; k < count; k++) deps.add(`s${Math.max(0, i - 1 - Math.floor(rand() * 8))}`);
    return { id: `s${i}`, depends_on: [...deps] };
  });
}

/** A tool that does no work of its own: it answers `output(step id)` at once. */
export function instantTool(output: (id: string) => unknown): PlanTool<{ id: string }> {
  return {
    name: "work",
    description: "no-op",
    schema: z.object({ id: z.string() }).strict(),
    risk: "LOW",
    async run({ id }) {
      return output(id);
    },
  };
}

/**
 * This agent, ready to run `nodes` as a plan. The plan is put in place as the planner's update
 * (`updateState(…, "planner")`) rather than written by a scripted planner, so that plans larger
 * than the planner's `maxSteps` limit (100) can be measured; the run then goes on exactly as after
 * a real planner: executor, evaluator, synthesizer.
 */
export async function agentWithPlan(
  nodes: Node[],
  output: (id: string) => unknown,
  checkpointer: BaseCheckpointSaver = new MemorySaver(),
  thread = "bench",
  wholeSteps = false,
) {
  const models = Object.fromEntries(
    MODEL_ROLES.map((role) => [role, new ScriptedChatModel({ name: role, fallback: "done" })]),
  ) as Record<(typeof MODEL_ROLES)[number], ScriptedChatModel>;
  const options = {
    models,
    tools: new ToolRegistry([instantTool(output)]),
    checkpointer,
    interruptBefore: ["planner" as const],
    limits: { maxConcurrency: 64, maxStepsExecuted: 100_000 },
  };
  const agent = wholeSteps ? withWholeSteps(options) : createPlanExecuteAgent(options);
  const config = { configurable: { thread_id: thread }, recursionLimit: 10_000 };
  await agent.invoke({ goal: "bench" }, config);
  const plan: PlanStep[] = nodes.map((n) => ({
    id: n.id,
    description: n.id,
    tool: "work",
    args: { id: n.id },
    depends_on: n.depends_on,
    expected_output: "anything",
  }));
  await agent.updateState(
    config,
    { plan, steps: pendingRecords(plan), planVersion: 1, planAttempts: 1 },
    "planner",
  );
  return async () => {
    const state = await agent.invoke(null, config);
    const done = Object.values(state.steps).filter((s) => s.status === "succeeded").length;
    if (state.finalAnswer !== "done" || done !== nodes.length)
      throw new Error(`agent run incomplete: ${done}/${nodes.length} steps (${state.error})`);
  };
}

/**
 * The same graph with the checkpoint layout it had before the diet: `steps` an ordinary reducer
 * channel, saved whole in every checkpoint. The baseline of the checkpoint-bytes measure.
 */
export function withWholeSteps(options: {
  models: Record<string, ScriptedChatModel>;
  tools: ToolRegistry;
  checkpointer: BaseCheckpointSaver;
  interruptBefore: "planner"[];
  limits: { maxConcurrency: number; maxStepsExecuted?: number };
}): ReturnType<typeof createPlanExecuteAgent> {
  const graph = buildPlanExecuteGraph({
    models: fixedModels(options.models),
    tools: options.tools,
    defaults: options.limits,
  });
  graph.channels.steps = new BinaryOperatorAggregate(mergeStepRecords, () => idRecord());
  return graph.compile({
    checkpointer: options.checkpointer,
    interruptBefore: options.interruptBefore,
  }) as unknown as ReturnType<typeof createPlanExecuteAgent>;
}

function fixedModels(models: Record<string, ScriptedChatModel>) {
  return (role: string) => models[role] as ScriptedChatModel;
}

/** Every step as a promise that awaits its dependencies: no framework at all. */
export async function runPromises(nodes: Node[], output: (id: string) => unknown): Promise<void> {
  const tool = instantTool(output);
  const done = new Map<string, Promise<unknown>>();
  for (const n of nodes) {
    done.set(
      n.id,
      Promise.all(n.depends_on.map((d) => done.get(d) ?? Promise.resolve())).then(() =>
        tool.run({ id: n.id }, {} as never),
      ),
    );
  }
  await Promise.all(done.values());
}

const WaveState = Annotation.Root({
  results: Annotation<Record<string, unknown>>({
    reducer: (a, b) => ({ ...a, ...b }),
    default: () => ({}),
  }),
});

/**
 * The plain LangGraph way to run a plan: a dispatcher that sends one `Send("work")` per ready step,
 * all of a wave in one superstep, and is called again once the wave is done. Checkpointed like
 * this agent (every superstep).
 */
export function waveGraph(
  nodes: Node[],
  output: (id: string) => unknown,
  checkpointer: BaseCheckpointSaver = new MemorySaver(),
  thread = "bench-waves",
) {
  const tool = instantTool(output);
  const ready = (results: Record<string, unknown>) =>
    nodes.filter((n) => !(n.id in results) && n.depends_on.every((d) => d in results));
  const graph = new StateGraph(WaveState)
    .addNode("dispatch", () => ({}))
    .addNode("work", async (input: unknown) => {
      const { id } = input as { id: string };
      return { results: { [id]: await tool.run({ id }, {} as never) } };
    })
    .addEdge(START, "dispatch")
    .addConditionalEdges("dispatch", (state) => {
      const next = ready(state.results);
      return next.length ? next.map((n) => new Send("work", { id: n.id })) : END;
    })
    .addEdge("work", "dispatch")
    .compile({ checkpointer });
  return async () => {
    const state = await graph.invoke({}, { configurable: { thread_id: thread }, recursionLimit: 10_000 });
    if (Object.keys(state.results).length !== nodes.length) throw new Error("wave graph run incomplete");
  };
}

/** CPU time (user + system, µs) of `fn`. */
export async function cpuMicros(fn: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
