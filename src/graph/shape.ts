import { DeltaChannel, StateGraph } from "@langchain/langgraph";
import type { z } from "zod";
import { PlanExecuteContextSchema } from "../core/settings.js";
import { idRecord } from "../plan/ids.js";
import { mergeStepPatches, PlanExecuteInput, PlanExecuteState } from "../core/state.js";

/**
 * What the plan-and-execute graph is made of apart from its nodes' code: its state, input and
 * context schemas, its channels, and its node names. The graph builder and the thread reader both
 * start from here, so a thread read without the nodes' code has the same channels and triggers as
 * the graph that wrote it. Light on purpose: no node, model or tool import.
 */

/** Every node of the graph, in the order the builder adds them. */
export const PLAN_EXECUTE_NODES = [
  "start",
  "planner",
  "review_plan",
  "executor",
  "approve_steps",
  "confidence_gate",
  "evaluator",
  "replanner",
  "budget",
  "search",
  "synthesizer",
  "review_answer",
] as const;

export type PlanExecuteNodeName = (typeof PLAN_EXECUTE_NODES)[number];

/**
 * What `invoke(input, { context })` accepts: any of the run settings, checked at run time. An
 * invocation names only the settings it changes. (LangGraph types a zod context as an object with
 * every key required, which would push callers to spell out defaults that hide the agent's and
 * the run's own settings; so the type is an open record: use `satisfies PlanExecuteContext`.)
 */
const InvocationContextSchema = PlanExecuteContextSchema.partial() as unknown as z.ZodObject<
  Record<never, never>
>;

/**
 * The `steps` channel keeps its reducer and schema but is stored as deltas (LangGraph's
 * `DeltaChannel`): a checkpoint no longer carries the whole map of step records, outputs included,
 * after every node; each node's patch is saved once, as its write, and the map is rebuilt by
 * replaying the patches when a checkpoint is read (`getState`, a resume, Studio), so every reader
 * of state sees the same values as before. A run's first checkpoint (the start node's `Overwrite`)
 * is a snapshot, so a thread's earlier runs are never replayed. It was the largest part of the
 * checkpoint bytes: 50 steps of 10 KB stored 5.5× their output, now about 2× (BENCHMARKS.md).
 * The zod registry offers only last-value and reducer channels, hence the replacement here.
 */
function storeStepsAsDeltas<G extends { channels: Record<string, unknown> }>(graph: G): G {
  graph.channels.steps = new DeltaChannel(mergeStepPatches, { initialValueFactory: () => idRecord() });
  return graph;
}

/** The `steps` value from a seed (a stored value, or none) and the patches after it, oldest first. */
export function replaySteps(seed: unknown, writes: [string, string, unknown][]): unknown {
  const empty = new DeltaChannel(mergeStepPatches, { initialValueFactory: () => idRecord() });
  const channel = empty.fromCheckpoint(seed as Parameters<typeof empty.fromCheckpoint>[0]);
  channel.replayWrites(writes);
  return channel.get();
}

/** A new, empty state graph with the plan-and-execute schemas and channels (no nodes yet). */
export function planExecuteStateGraph() {
  return storeStepsAsDeltas(
    new StateGraph({
      state: PlanExecuteState,
      input: PlanExecuteInput,
      context: InvocationContextSchema,
    }),
  );
}
