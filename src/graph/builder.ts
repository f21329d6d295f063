import { END, START, StateGraph, type LangGraphRunnableConfig } from "@langchain/langgraph";
import type { NodeDeps } from "../nodes/deps.js";
import { createEvaluatorNode } from "../nodes/evaluator.js";
import { createExecutorNode } from "../nodes/executor.js";
import { createPlannerNode } from "../nodes/planner.js";
import { createReplannerNode } from "../nodes/replanner.js";
import { createSynthesizerNode } from "../nodes/synthesizer.js";
import { PlanExecuteContextSchema, resolveSettings } from "./context.js";
import { routeAfterEvaluation, routeAfterPlanner, routeAfterReplan } from "./routing.js";
import { PlanExecuteInput, PlanExecuteState, type PlanExecuteStateType } from "./state.js";

/**
 * The uncompiled plan-and-execute graph. Compile it with your own checkpointer, or use
 * `createPlanExecuteAgent`, which does that for you.
 *
 * @example
 * const graph = buildPlanExecuteGraph({ models, tools }).compile({ checkpointer: new MemorySaver() });
 */
export function buildPlanExecuteGraph(deps: NodeDeps) {
  const settingsOf = (config: LangGraphRunnableConfig) => resolveSettings(config.context);
  return new StateGraph({
    state: PlanExecuteState,
    input: PlanExecuteInput,
    context: PlanExecuteContextSchema,
  })
    .addNode("planner", createPlannerNode(deps))
    .addNode("executor", createExecutorNode(deps))
    .addNode("evaluator", createEvaluatorNode(deps))
    .addNode("replanner", createReplannerNode(deps))
    .addNode("synthesizer", createSynthesizerNode(deps))
    .addEdge(START, "planner")
    .addConditionalEdges("planner", (state: PlanExecuteStateType) => routeAfterPlanner(state), [
      "planner",
      "executor",
      END,
    ])
    .addEdge("executor", "evaluator")
    .addConditionalEdges(
      "evaluator",
      (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
        routeAfterEvaluation(state, settingsOf(config)),
      ["executor", "replanner", "synthesizer"],
    )
    .addConditionalEdges(
      "replanner",
      (state: PlanExecuteStateType, config: LangGraphRunnableConfig) =>
        routeAfterReplan(state, settingsOf(config)),
      ["replanner", "executor", "synthesizer"],
    )
    .addEdge("synthesizer", END);
}
