import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings } from "../core/settings.js";
import { progressWriter } from "../core/events.js";
import {
  stepRecordOf,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  type StepRecord,
} from "../core/state.js";
import type { NodeDeps } from "./deps.js";
import { idRecord } from "../plan/ids.js";
import { pendingRecords, proposePlan } from "./planning.js";
import { evidenceOf } from "./evidence.js";
import { buildReplannerPrompt } from "./prompts.js";
import { recoveryChild } from "./search.js";

/**
 * The replanner node, reached when a step failed. It keeps every succeeded step, asks the model
 * for the remaining steps only, and validates them against the finished outputs. Steps of the old
 * plan that never ran are marked skipped; an empty recovery plan means "cannot recover".
 *
 * It is also reached when the answer review failed (`answerReview.revise`): then it is shown the
 * answer and the findings and adds steps that can supply what is missing, or none (the answer is
 * rewritten with the findings either way). That round is bounded by `maxAnswerRevisions`, not
 * `maxReplans`, so it does not count as a replan.
 *
 * With `replan: "on_signal"` it is also reached when the evaluator judged that the remaining steps
 * no longer fit what was learned (`replanSignal`): it is shown the reason and rewrites only the
 * unfinished steps. Finished steps — and any still marked running — stay as they are. An empty
 * answer keeps the remaining steps; a proposal still invalid after `maxPlanAttempts` does too (the
 * signal is dropped, said by `plan_invalid`). Either way the round counts against `maxReplans`.
 */
export function createReplannerNode(deps: NodeDeps) {
  return async function replanner(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): Promise<PlanExecuteUpdate> {
    const settings = runSettings(state, config.context, deps.defaults);
    const emit = progressWriter(config.writer);
    const record = (id: string) => stepRecordOf(state.steps, id);
    const kept = state.plan.filter((s) => record(s.id)?.status === "succeeded");
    // A step still running is never rewritten: it stays in the plan (only pending steps are replaced).
    const untouched = state.plan.filter((s) => ["succeeded", "running"].includes(record(s.id)?.status ?? ""));
    const failed = state.plan.filter((s) => ["failed", "rejected"].includes(record(s.id)?.status ?? ""));
    const unfinished = state.plan.filter((s) => (record(s.id)?.status ?? "pending") === "pending");
    const finished = new Map(kept.map((s) => [s.id, record(s.id)?.output]));
    const repairing = state.validationErrors.length > 0;
    const attempt = repairing ? state.planAttempts + 1 : 1;
    const review = state.answerReview?.revise === true ? state.answerReview : null;
    // A round asked for by the review is consumed once the replanner has a valid answer to it.
    const signal = review ? null : state.replanSignal;
    const consumed = review
      ? { answerReview: { ...review, revise: false } }
      : signal
        ? { replanSignal: null }
        : {};

    const messages = buildReplannerPrompt({
      goal: state.goal,
      tools: deps.tools.describeForPrompt({
        goal: [state.goal, ...failed.map((s) => s.description)].join("\n"),
        include: [...failed, ...unfinished, ...state.rejectedPlan].map((s) => s.tool),
      }),
      maxSteps: settings.maxSteps,
      finished: evidenceOf(state, kept, deps.tools, settings),
      failed: failed.map((s) => ({ ...s, error: record(s.id)?.error ?? record(s.id)?.status ?? "failed" })),
      unfinished,
      repair: repairing ? { steps: state.rejectedPlan, issues: state.validationErrors } : undefined,
      review: review ? { answer: state.finalAnswer ?? "", findings: review.findings } : undefined,
      signal: signal ? { reason: signal.reason, after: signal.after } : undefined,
    });
    const proposal = await proposePlan(await deps.models("planner", settings), messages, {
      tools: deps.tools,
      maxSteps: settings.maxSteps,
      finished,
      reservedIds: Object.keys(state.steps).filter((id) => !finished.has(id)),
      allowEmpty: true,
    });
    const usage = proposal.usage ? { planner: proposal.usage } : {};
    if (proposal.issues.length > 0) {
      emit({ type: "plan_invalid", attempt, issues: proposal.issues, replan: true });
      if (signal && failed.length === 0 && attempt >= settings.maxPlanAttempts) {
        // Nothing failed: the remaining plan still runs as it is, rather than the run ending here.
        return {
          replans: state.replans + 1,
          validationErrors: [],
          rejectedPlan: [],
          planAttempts: attempt,
          usage,
          ...consumed,
        };
      }
      return {
        rejectedPlan: proposal.steps,
        validationErrors: proposal.issues,
        planAttempts: attempt,
        usage,
      };
    }
    if (proposal.steps.length === 0) {
      // The model says the goal cannot be reached (or, for a review, that the results suffice): keep
      // the plan, so the answer names what failed.
      return {
        replans: review ? state.replans : state.replans + 1,
        validationErrors: [],
        rejectedPlan: [],
        planAttempts: attempt,
        usage,
        ...consumed,
      };
    }

    const skipped = unfinished.map((s): [string, Partial<StepRecord> & { id: string }] => [
      s.id,
      { id: s.id, status: "skipped", error: "dropped by the replanner" },
    ]);
    const replan = review ? state.replans : state.replans + 1;
    emit({
      type: "replanned",
      replan,
      failed: failed.map((s) => s.id),
      steps: proposal.steps,
      ...(review ? { review: true } : {}),
      ...(signal ? { signal: signal.reason } : {}),
    });
    return {
      plan: [...untouched, ...proposal.steps],
      steps: idRecord([...skipped, ...Object.entries(pendingRecords(proposal.steps))]),
      replans: replan,
      planVersion: state.planVersion + 1,
      planAttempts: attempt,
      rejectedPlan: [],
      validationErrors: [],
      usage,
      ...consumed,
      // Plan search: the recovery plan the search asked for becomes a child of the failed plan.
      ...recoveryChild(state, [...kept, ...proposal.steps], state.planVersion + 1, deps, settings),
    };
  };
}
