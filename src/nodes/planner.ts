import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings } from "../core/settings.js";
import { progressWriter } from "../core/events.js";
import type { PlanExecuteStateType, PlanExecuteUpdate } from "../core/state.js";
import type { NodeDeps } from "./deps.js";
import { addUsage } from "../core/state.js";
import { idRecord } from "../plan/ids.js";
import { pendingRecords, proposePlan } from "./planning.js";
import { buildPlannerPrompt } from "./prompts.js";
import { planCandidates } from "./plan-search.js";
import { earlyParts, earlyStepsNote, plansStreaming, proposePlanStreaming } from "./streaming-planner.js";

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
          ? {
              steps: state.rejectedPlan,
              issues: [...(feedback ?? []), ...earlyStepsNote(state), ...state.validationErrors],
            }
          : undefined,
    });
    // Plan search: k candidates in one call, valued, the best run first (see plan-search.ts).
    if (settings.planSearch.candidates > 1)
      return planCandidates(deps, state, settings, emit, messages, attempt);
    const streamed = plansStreaming(settings)
      ? await proposePlanStreaming(state, config, deps, settings, messages)
      : null;
    const proposal =
      streamed ??
      (await proposePlan(await deps.models("planner", settings), messages, {
        tools: deps.tools,
        maxSteps: settings.maxSteps,
      }));
    const early = earlyParts(state, streamed);
    const usage = addUsage(proposal.usage ? { planner: proposal.usage } : {}, early.usage);

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
        // Steps that ran early stay finished; the repair round may keep them.
        earlySteps: early.steps,
        steps: early.records,
        audit: early.audit,
      };
    }
    const version = state.planVersion + 1;
    const plan = [...(streamed ? state.earlySteps : []), ...proposal.steps];
    emit({ type: "plan_created", version, steps: plan, replan: false });
    return {
      planFeedback: null,
      plan,
      // Pending records first: the early steps' outcomes replace theirs.
      steps: idRecord([...Object.entries(pendingRecords(proposal.steps)), ...Object.entries(early.records)]),
      planVersion: version,
      planAttempts: attempt,
      rejectedPlan: [],
      earlySteps: [],
      validationErrors: [],
      usage,
      audit: early.audit,
    };
  };
}
