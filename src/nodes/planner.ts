import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings } from "../core/settings.js";
import { progressWriter } from "../core/events.js";
import type { PlanExecuteStateType, PlanExecuteUpdate } from "../core/state.js";
import type { NodeDeps } from "./deps.js";
import { pendingRecords, proposePlan } from "./planning.js";
import { buildPlannerPrompt } from "./prompts.js";
import { planCandidates } from "./plan-search.js";

/**
 * The planner node: turns the goal into a validated plan. An invalid proposal is stored with its
 * issues and the router sends the run back here; after `maxPlanAttempts` the run ends with an error.
 */
export function createPlannerNode(deps: NodeDeps) {
  return async function planner(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): Promise<PlanExecuteUpdate> {
    const settings = runSettings(state, config.context, deps.defaults);
    const emit = progressWriter(config.writer);
    const repairing = state.validationErrors.length > 0;
    const attempt = repairing ? state.planAttempts + 1 : 1;
    // A person's rejection starts a new round of attempts, with their words as the problem to fix.
    const feedback = state.planFeedback ? [`A person rejected this plan: ${state.planFeedback}`] : null;
    const messages = buildPlannerPrompt({
      goal: state.goal,
      // A refused plan's tools are shown in full, even those a large catalogue lists by name only.
      tools: deps.tools.describeForPrompt({
        goal: state.goal,
        include: state.rejectedPlan.map((s) => s.tool),
      }),
      maxSteps: settings.maxSteps,
      repair:
        repairing || feedback
          ? { steps: state.rejectedPlan, issues: [...(feedback ?? []), ...state.validationErrors] }
          : undefined,
    });
    // Plan search: k candidates in one call, valued, the best run first (see plan-search.ts).
    if (settings.planSearch.candidates > 1)
      return planCandidates(deps, state, settings, emit, messages, attempt);
    const proposal = await proposePlan(deps.models("planner", settings), messages, {
      tools: deps.tools,
      maxSteps: settings.maxSteps,
    });
    const usage = proposal.usage ? { planner: proposal.usage } : {};

    if (proposal.issues.length > 0) {
      emit({ type: "plan_invalid", attempt, issues: proposal.issues, replan: false });
      const gaveUp = attempt >= settings.maxPlanAttempts;
      const error = gaveUp
        ? `The planner did not produce a valid plan in ${attempt} attempts. Last problems: ${proposal.issues.join(" | ")}`
        : null;
      if (error) emit({ type: "run_failed", error });
      return {
        rejectedPlan: proposal.steps,
        validationErrors: proposal.issues,
        planAttempts: attempt,
        usage,
        error,
      };
    }
    const version = state.planVersion + 1;
    emit({ type: "plan_created", version, steps: proposal.steps, replan: false });
    return {
      planFeedback: null,
      plan: proposal.steps,
      steps: pendingRecords(proposal.steps),
      planVersion: version,
      planAttempts: attempt,
      rejectedPlan: [],
      validationErrors: [],
      usage,
    };
  };
}
