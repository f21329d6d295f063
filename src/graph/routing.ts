import { END } from "@langchain/langgraph";
import { exceededBudgets } from "../core/budget.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { Settings } from "../core/settings.js";
import { stepRecordOf, type PlanExecuteStateType, type StepStatus } from "../core/state.js";
import { needsPlanReview } from "../nodes/review-plan.js";

type RoutingState = Pick<
  PlanExecuteStateType,
  "plan" | "steps" | "error" | "validationErrors" | "planAttempts" | "replans"
> &
  Partial<
    Pick<
      PlanExecuteStateType,
      | "usage"
      | "activeMs"
      | "finishRequested"
      | "planReview"
      | "planVersion"
      | "planFeedback"
      | "replanSignal"
      | "planSearch"
    >
  >;

function statusOf(state: RoutingState, id: string): StepStatus {
  return stepRecordOf(state.steps, id)?.status ?? "pending";
}

/** Steps of the current plan that ended badly and need the replanner. */
export function failedSteps(state: RoutingState): string[] {
  return state.plan.filter((s) => ["failed", "rejected"].includes(statusOf(state, s.id))).map((s) => s.id);
}

/** A finished step of the plan the evaluator has not judged yet (one that ran early, as the plan streamed). */
function hasUnjudgedSteps(state: RoutingState): boolean {
  return state.plan.some((s) => {
    const record = stepRecordOf(state.steps, s.id);
    return (record?.status === "succeeded" || record?.status === "failed") && record.evaluation === null;
  });
}

function hasPendingSteps(state: RoutingState): boolean {
  return state.plan.some((s) => statusOf(state, s.id) === "pending");
}

/** A succeeded step whose output waits for a person after a low confidence (`minConfidence`). */
function hasLowConfidenceStops(state: RoutingState): boolean {
  return state.plan.some((s) => stepRecordOf(state.steps, s.id)?.confidenceGate?.status === "waiting");
}

function hasWaitingApprovals(state: RoutingState): boolean {
  return state.plan.some(
    (s) =>
      statusOf(state, s.id) === "pending" && stepRecordOf(state.steps, s.id)?.approval?.status === "waiting",
  );
}

/** A pending step that can start now without anyone's decision (e.g. one a person just approved). */
function hasRunnableSteps(state: RoutingState): boolean {
  return state.plan.some(
    (s) =>
      statusOf(state, s.id) === "pending" &&
      stepRecordOf(state.steps, s.id)?.approval?.status !== "waiting" &&
      s.depends_on.every((d) => statusOf(state, d) === "succeeded"),
  );
}

function overBudget(state: RoutingState, settings: Settings): boolean {
  if (state.finishRequested) return false;
  return (
    exceededBudgets({ usage: state.usage ?? {}, steps: state.steps, activeMs: state.activeMs ?? 0 }, settings)
      .length > 0
  );
}

/** More work is due: stop at the budget gate first if a limit is reached. */
function work<T extends string>(state: RoutingState, settings: Settings, next: T): T | "budget" {
  return overBudget(state, settings) ? "budget" : next;
}

/** After planning: repair an invalid plan, give up, wait for plan approval, or execute. */
export function routeAfterPlanner(
  state: RoutingState,
  settings: Settings,
  tools: Pick<ToolRegistry, "riskOf">,
): "planner" | "executor" | "review_plan" | "budget" | typeof END {
  if (state.error !== null) return END;
  if (state.validationErrors.length > 0) return "planner";
  if (needsPlanReview({ planReview: null, planVersion: 0, ...state }, settings, tools)) {
    return "review_plan";
  }
  return work(state, settings, "executor");
}

/**
 * After plan review: replan on a rejection; answer with what there is when a person rejected a
 * recovery plan; otherwise run the approved (or edited) plan.
 */
export function routeAfterReview(
  state: RoutingState,
  settings: Settings,
): "planner" | "executor" | "synthesizer" | "budget" {
  if (state.planFeedback) return "planner";
  if (state.planReview?.decision === "rejected") return "synthesizer";
  return work(state, settings, "executor");
}

/** A new plan version about to run: through the plan review first when the policy asks for it. */
function runPlan(
  state: RoutingState,
  settings: Settings,
  tools: Pick<ToolRegistry, "riskOf">,
): "executor" | "review_plan" | "budget" {
  if (needsPlanReview({ planReview: null, planVersion: 0, ...state }, settings, tools)) return "review_plan";
  return work(state, settings, "executor");
}

/**
 * After evaluation (and after a step approval or a budget stop): answer if a person asked to
 * finish; get decisions for steps that wait for approval; recover from a failure while replans
 * are left; run what is left; or answer.
 */
export function routeAfterEvaluation(
  state: RoutingState,
  settings: Settings,
): "replanner" | "executor" | "synthesizer" | "approve_steps" | "confidence_gate" | "budget" | "search" {
  if (state.finishRequested) return "synthesizer";
  // An output a person has to look at comes first: the plan may depend on what they decide.
  if (hasLowConfidenceStops(state)) return "confidence_gate";
  // The remaining plan no longer fits (replan: on_signal): rewrite it before anyone decides on its steps.
  if (state.replanSignal && failedSteps(state).length === 0 && hasPendingSteps(state)) {
    if (state.replans < settings.maxReplans) return work(state, settings, "replanner");
  }
  // Approved steps run before the run stops again for the steps still waiting.
  if (hasWaitingApprovals(state))
    return hasRunnableSteps(state) ? work(state, settings, "executor") : "approve_steps";
  const search = searchRoute(state);
  if (search) return search;
  if (failedSteps(state).length > 0) {
    return state.replans < settings.maxReplans ? work(state, settings, "replanner") : "synthesizer";
  }
  if (hasPendingSteps(state)) return work(state, settings, "executor");
  return "synthesizer";
}

/**
 * Plan search: the running plan ended (a step failed, or nothing is left to run) → the search node
 * scores it and picks what runs next; once the search is exhausted, a failure goes to the answer.
 * (No budget check here: the search node calls no model; what it picks next is checked.)
 */
function searchRoute(state: RoutingState): "search" | "synthesizer" | null {
  const tree = state.planSearch;
  if (!tree?.current) return null;
  const running = tree.nodes.find((n) => n.id === tree.current)?.status === "running";
  const failed = failedSteps(state).length > 0;
  if (running && (failed || !hasPendingSteps(state))) return "search";
  if (failed && tree.ended !== null) return "synthesizer";
  return null;
}

/** After the search node: ask the replanner for a recovery plan, run the plan it chose, or answer. */
export function routeAfterSearch(
  state: RoutingState,
  settings: Settings,
  tools: Pick<ToolRegistry, "riskOf">,
): "replanner" | "executor" | "review_plan" | "synthesizer" | "budget" {
  if (state.planSearch?.expanding) return work(state, settings, "replanner");
  if (state.planSearch?.ended === null && failedSteps(state).length === 0 && hasPendingSteps(state))
    return runPlan(state, settings, tools);
  return "synthesizer";
}

/** After replanning: repair an invalid recovery plan, run the new steps, or answer with what there is. */
export function routeAfterReplan(
  state: RoutingState,
  settings: Settings,
  tools: Pick<ToolRegistry, "riskOf">,
): "replanner" | "executor" | "review_plan" | "synthesizer" | "budget" | "search" {
  // Plan search: a recovery the replanner could not write goes back to the search, which picks another plan.
  const searching = Boolean(state.planSearch?.expanding);
  if (state.validationErrors.length > 0) {
    if (state.planAttempts < settings.maxPlanAttempts) return "replanner";
    return searching ? "search" : "synthesizer";
  }
  if (failedSteps(state).length === 0 && hasPendingSteps(state)) return runPlan(state, settings, tools);
  // Recovery steps that ran while the answer streamed are judged like any other (via the executor,
  // which runs what is left and passes on to the evaluator); a failed one is replanned from there.
  if (hasUnjudgedSteps(state)) return work(state, settings, "executor");
  return searching ? "search" : "synthesizer";
}

/** After the answer is written: review it, unless the review is off (`maxAnswerRevisions` 0). */
export function routeAfterSynthesis(
  _state: unknown,
  settings: Pick<Settings, "maxAnswerRevisions">,
): "review_answer" | typeof END {
  return settings.maxAnswerRevisions > 0 ? "review_answer" : END;
}

/**
 * After the answer review: a failed review that may start a round (the review node decided, with
 * the rounds and budgets left) goes to the replanner with its findings; anything else ends the run.
 */
export function routeAfterAnswerReview(
  state: Pick<PlanExecuteStateType, "answerReview">,
): "replanner" | typeof END {
  return state.answerReview?.revise === true ? "replanner" : END;
}
