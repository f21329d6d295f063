import { randomUUID } from "node:crypto";
import { Overwrite, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { startSettings } from "../core/settings.js";
import type { PlanExecuteStateType, PlanExecuteUpdate } from "../core/state.js";
import type { NodeDeps } from "./deps.js";

/**
 * The first node of every run. LangGraph keeps a thread's channels across inputs, so a new goal on
 * a thread that ran before would otherwise inherit the old plan's step records — and with them
 * their approvals. Each new input is a new run: a fresh run id, the settings resolved once, and
 * every channel of the old run cleared (reducer channels through `Overwrite`, which bypasses the
 * merge). The old run stays readable in the thread's checkpoint history.
 *
 * Only an input reaches this node; a resume continues where the run stopped. If the process dies
 * before this node's checkpoint, the input (with its settings) is still in the last checkpoint and
 * the node runs again: it has no side effects.
 */
export function createStartNode(deps: NodeDeps) {
  return function start(state: PlanExecuteStateType, config: LangGraphRunnableConfig): PlanExecuteUpdate {
    const settings = startSettings(state.runSettings, config.context, deps.defaults);
    return {
      runId: randomUUID(),
      settings,
      runSettings: null,
      plan: [],
      steps: new Overwrite({}) as never,
      planVersion: 0,
      planAttempts: 0,
      rejectedPlan: [],
      earlySteps: [],
      validationErrors: [],
      replans: 0,
      planChecks: new Overwrite([]) as never,
      replanSignal: null,
      usage: new Overwrite({}) as never,
      budgetRaises: {},
      planReview: null,
      planFeedback: null,
      audit: new Overwrite([]) as never,
      activeMs: new Overwrite(0) as never,
      finishRequested: false,
      finalAnswer: null,
      answerReview: null,
      answerRevisions: 0,
      planSearch: null,
      error: null,
    };
  };
}
