import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings } from "../core/settings.js";
import { progressWriter } from "../core/events.js";
import {
  addUsage,
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
import { earlyParts, earlyStepsNote, plansStreaming, proposePlanStreaming } from "./streaming-planner.js";

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
 *
 * With `planStreaming` (and no plan approval, nor plan search) the answer streams as the planner's
 * does: a LOW recovery step that is complete and valid on its own — its dependencies started early
 * in this answer or finished steps the recovery keeps, its id not one of the run's — starts while
 * the rest is still being written, as a `task()` of this node (see `proposePlanStreaming`).
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
      repair: repairing
        ? { steps: state.rejectedPlan, issues: [...earlyStepsNote(state), ...state.validationErrors] }
        : undefined,
      review: review ? { answer: state.finalAnswer ?? "", findings: review.findings } : undefined,
      signal: signal ? { reason: signal.reason, after: signal.after } : undefined,
    });
    const reservedIds = Object.keys(state.steps).filter((id) => !finished.has(id));
    // Plan search compares whole recovery plans before one runs: it does not stream.
    const streaming =
      plansStreaming(settings) && settings.planSearch.candidates <= 1 && !state.planSearch?.expanding;
    const streamed = streaming
      ? await proposePlanStreaming(state, config, deps, settings, messages, {
          finished: kept.map((step) => ({ step, output: finished.get(step.id) })),
          reservedIds,
          allowEmpty: true,
        })
      : null;
    const proposal =
      streamed ??
      (await proposePlan(await deps.models("planner", settings), messages, {
        tools: deps.tools,
        maxSteps: settings.maxSteps,
        finished,
        reservedIds,
        allowEmpty: true,
      }));
    const early = earlyParts(state, streamed);
    const usage = addUsage(proposal.usage ? { planner: proposal.usage } : {}, early.usage);
    // Steps that ran early stay finished whatever becomes of the answer (records of the run).
    const ran = { steps: early.records, audit: early.audit };
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
          earlySteps: [],
          ...ran,
          ...consumed,
        };
      }
      return {
        rejectedPlan: proposal.steps,
        validationErrors: proposal.issues,
        planAttempts: attempt,
        usage,
        // The repair round may keep them (see the planner's streamed path).
        earlySteps: early.steps,
        ...ran,
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
        earlySteps: [],
        ...ran,
        ...consumed,
      };
    }

    // Earlier rounds' early steps come with the plan, finished (as the planner's do).
    const added = [...(streamed ? (state.earlySteps ?? []) : []), ...proposal.steps];
    const skipped = unfinished.map((s): [string, Partial<StepRecord> & { id: string }] => [
      s.id,
      { id: s.id, status: "skipped", error: "dropped by the replanner" },
    ]);
    const replan = review ? state.replans : state.replans + 1;
    emit({
      type: "replanned",
      replan,
      failed: failed.map((s) => s.id),
      steps: added,
      ...(review ? { review: true } : {}),
      ...(signal ? { signal: signal.reason } : {}),
    });
    return {
      plan: [...untouched, ...added],
      // Pending records first: the early steps' outcomes replace theirs.
      steps: idRecord([
        ...skipped,
        ...Object.entries(pendingRecords(proposal.steps)),
        ...Object.entries(early.records),
      ]),
      replans: replan,
      planVersion: state.planVersion + 1,
      planAttempts: attempt,
      rejectedPlan: [],
      validationErrors: [],
      earlySteps: [],
      audit: early.audit,
      usage,
      ...consumed,
      // Plan search: the recovery plan the search asked for becomes a child of the failed plan.
      ...recoveryChild(state, [...kept, ...added], state.planVersion + 1, deps, settings),
    };
  };
}
