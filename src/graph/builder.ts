import { DeltaChannel, END, START, StateGraph, type LangGraphRunnableConfig } from "@langchain/langgraph";
import type { z } from "zod";
import { createApproveStepsNode } from "../nodes/approve-steps.js";
import { budgetGate } from "../nodes/budget-gate.js";
import type { NodeDeps } from "../nodes/deps.js";
import { createConfidenceGateNode } from "../nodes/confidence-gate.js";
import { createEvaluatorNode } from "../nodes/evaluator.js";
import { createExecutorNode } from "../nodes/executor.js";
import { createPlannerNode } from "../nodes/planner.js";
import { createReplannerNode } from "../nodes/replanner.js";
import { createReviewAnswerNode } from "../nodes/review-answer.js";
import { createReviewPlanNode } from "../nodes/review-plan.js";
import { createSearchNode } from "../nodes/search.js";
import { createStartNode } from "../nodes/start.js";
import { createSynthesizerNode } from "../nodes/synthesizer.js";
import { PlanExecuteContextSchema, resolveSettings, runSettings } from "../core/settings.js";
import {
  routeAfterAnswerReview,
  routeAfterEvaluation,
  routeAfterPlanner,
  routeAfterReplan,
  routeAfterReview,
  routeAfterSearch,
  routeAfterSynthesis,
} from "./routing.js";
import { idRecord } from "../plan/ids.js";
import {
  mergeStepPatches,
  PlanExecuteInput,
  PlanExecuteState,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
} from "../core/state.js";

type Node = (
  state: PlanExecuteStateType,
  config: LangGraphRunnableConfig,
) => PlanExecuteUpdate | Promise<PlanExecuteUpdate>;

/** Adds the node's own running time to `activeMs` (the wall-time budget excludes waiting for people). */
function timed(node: Node): Node {
  return async (state, config) => {
    const started = Date.now();
    const update = await node(state, config);
    return { ...update, activeMs: Date.now() - started };
  };
}

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

/**
 * The uncompiled plan-and-execute graph. Compile it with your own checkpointer, or use
 * `createPlanExecuteAgent`, which does that for you and takes the defaults as policies and limits.
 *
 * @example
 * const graph = buildPlanExecuteGraph({ models, tools }).compile({ checkpointer: new MemorySaver() });
 */
export function buildPlanExecuteGraph(deps: NodeDeps) {
  // Invalid defaults fail here, with the setting named, rather than in the first node of every run.
  if (deps.defaults) resolveSettings(deps.defaults);
  const settingsOf = (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
    runSettings(state, config.context, deps.defaults);
  const graph = storeStepsAsDeltas(
    new StateGraph({
      state: PlanExecuteState,
      input: PlanExecuteInput,
      context: InvocationContextSchema,
    }),
  )
    .addNode("start", createStartNode(deps))
    .addNode("planner", timed(createPlannerNode(deps)))
    .addNode("review_plan", createReviewPlanNode(deps))
    .addNode("executor", timed(createExecutorNode(deps)))
    .addNode("approve_steps", createApproveStepsNode(deps))
    .addNode("confidence_gate", createConfidenceGateNode(deps))
    .addNode("evaluator", timed(createEvaluatorNode(deps)))
    .addNode("replanner", timed(createReplannerNode(deps)))
    .addNode("budget", (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
      budgetGate(state, config, deps.defaults),
    )
    .addNode("search", timed(createSearchNode(deps)))
    .addNode("synthesizer", timed(createSynthesizerNode(deps)))
    .addNode("review_answer", timed(createReviewAnswerNode(deps)))
    .addEdge(START, "start")
    .addEdge("start", "planner")
    .addConditionalEdges(
      "planner",
      (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
        routeAfterPlanner(state, settingsOf(state, config), deps.tools),
      ["planner", "review_plan", "executor", "budget", END],
    )
    .addConditionalEdges(
      "review_plan",
      (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
        routeAfterReview(state, settingsOf(state, config)),
      ["planner", "executor", "synthesizer", "budget"],
    )
    .addEdge("executor", "evaluator")
    .addConditionalEdges(
      "replanner",
      (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
        routeAfterReplan(state, settingsOf(state, config), deps.tools),
      ["replanner", "executor", "review_plan", "budget", "synthesizer", "search"],
    )
    .addConditionalEdges(
      "search",
      (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
        routeAfterSearch(state, settingsOf(state, config), deps.tools),
      ["replanner", "executor", "review_plan", "budget", "synthesizer"],
    )
    .addConditionalEdges(
      "synthesizer",
      (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
        routeAfterSynthesis(state, settingsOf(state, config)),
      ["review_answer", END],
    )
    .addConditionalEdges("review_answer", (state: PlanExecuteStateType) => routeAfterAnswerReview(state), [
      "replanner",
      END,
    ]);
  // After the evaluator, a step approval, a low-confidence stop or a budget stop, the same question: what is next?
  for (const from of ["evaluator", "approve_steps", "confidence_gate", "budget"] as const) {
    graph.addConditionalEdges(
      from,
      (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
        routeAfterEvaluation(state, settingsOf(state, config)),
      ["executor", "approve_steps", "confidence_gate", "replanner", "budget", "synthesizer", "search"],
    );
  }
  return graph;
}
