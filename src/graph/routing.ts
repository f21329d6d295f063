import { END } from "@langchain/langgraph";
import type { Settings } from "./context.js";
import type { PlanExecuteStateType, StepStatus } from "./state.js";

type RoutingState = Pick<
  PlanExecuteStateType,
  "plan" | "steps" | "error" | "validationErrors" | "planAttempts" | "replans"
>;

function statusOf(state: RoutingState, id: string): StepStatus {
  return state.steps[id]?.status ?? "pending";
}

/** Steps of the current plan that ended badly and need the replanner. */
export function failedSteps(state: RoutingState): string[] {
  return state.plan.filter((s) => ["failed", "rejected"].includes(statusOf(state, s.id))).map((s) => s.id);
}

function hasPendingSteps(state: RoutingState): boolean {
  return state.plan.some((s) => statusOf(state, s.id) === "pending");
}

/** After planning: repair an invalid plan, give up, or execute. */
export function routeAfterPlanner(state: RoutingState): "planner" | "executor" | typeof END {
  if (state.error !== null) return END;
  if (state.validationErrors.length > 0) return "planner";
  return "executor";
}

/** After evaluation: recover from a failure (while replans are left), run what is left, or answer. */
export function routeAfterEvaluation(
  state: RoutingState,
  settings: Pick<Settings, "maxReplans">,
): "replanner" | "executor" | "synthesizer" {
  if (failedSteps(state).length > 0) return state.replans < settings.maxReplans ? "replanner" : "synthesizer";
  if (hasPendingSteps(state)) return "executor";
  return "synthesizer";
}

/** After replanning: repair an invalid recovery plan, run the new steps, or answer with what there is. */
export function routeAfterReplan(
  state: RoutingState,
  settings: Pick<Settings, "maxPlanAttempts">,
): "replanner" | "executor" | "synthesizer" {
  if (state.validationErrors.length > 0) {
    return state.planAttempts < settings.maxPlanAttempts ? "replanner" : "synthesizer";
  }
  if (failedSteps(state).length === 0 && hasPendingSteps(state)) return "executor";
  return "synthesizer";
}
