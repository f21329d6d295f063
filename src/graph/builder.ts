import { END, START, type LangGraphRunnableConfig } from "@langchain/langgraph";
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
import { resolveSettings, runSettings } from "../core/settings.js";
import {
  routeAfterAnswerReview,
  routeAfterEvaluation,
  routeAfterPlanner,
  routeAfterReplan,
  routeAfterReview,
  routeAfterSearch,
  routeAfterSynthesis,
} from "./routing.js";
import type { PlanExecuteStateType, PlanExecuteUpdate } from "../core/state.js";
import { planExecuteStateGraph } from "./shape.js";

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
  const graph = planExecuteStateGraph()
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
