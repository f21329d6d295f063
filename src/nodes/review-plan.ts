import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings, type Settings } from "../core/settings.js";
import { PlanDecisionSchema, parseDecision, type ApprovalRequest } from "../core/decisions.js";
import {
  stepRecordOf,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  type StepRecord,
} from "../core/state.js";
import { idRecord } from "../plan/ids.js";
import { limitIssues } from "../plan/limits.js";
import { decodePlan, WirePlanReadSchema, type PlanStep } from "../plan/schema.js";
import { validatePlan } from "../plan/validate.js";
import type { ToolRegistry } from "../tools/registry.js";
import { digestOf } from "../plan/digest.js";
import type { NodeDeps } from "./deps.js";
import { pendingRecords } from "./planning.js";
import { nodeById, startNode } from "../plan/search.js";
import { zodIssueLines } from "../plan/zod-issues.js";

/** Steps of the plan that have not started: what a plan review is asked about. */
function stepsToRun(
  state: Pick<PlanExecuteStateType, "plan"> & Partial<Pick<PlanExecuteStateType, "steps">>,
) {
  return state.plan.filter((s) => (stepRecordOf(state.steps ?? {}, s.id)?.status ?? "pending") === "pending");
}

/**
 * Whether the current plan must be shown to a person before it runs: every new plan version —
 * the first plan, a recovery plan, the plan a search falls back to — whose steps still to run
 * call for it (`always`: any; `risky`: one MEDIUM or HIGH among them).
 */
export function needsPlanReview(
  state: Pick<PlanExecuteStateType, "plan" | "planVersion" | "planReview"> &
    Partial<Pick<PlanExecuteStateType, "steps">>,
  settings: Pick<Settings, "approvePlan">,
  tools: Pick<ToolRegistry, "riskOf">,
): boolean {
  if (state.planReview?.version === state.planVersion) return false;
  const toRun = stepsToRun(state);
  if (toRun.length === 0 || settings.approvePlan === "never") return false;
  return settings.approvePlan === "always" || toRun.some((s) => tools.riskOf(s.tool) !== "LOW");
}

/**
 * The plan review node: stops with the validated plan and waits for a person. Approve runs it;
 * edit replaces it (validated again — an invalid edit is refused and the stop stays, listing why);
 * reject sends the run back to the planner with the person's feedback.
 *
 * A plan that already has finished steps (a recovery plan, or the sibling a plan search falls back
 * to) is asked about its steps still to run (`steps`), with the finished ones listed apart
 * (`kept`): an edit replaces only the steps to run and may not reuse a finished step's id, so
 * nothing that finished runs again; a reject ends the recovery — its steps are skipped and the
 * run answers with what it has.
 */
export function createReviewPlanNode(deps: NodeDeps) {
  return function reviewPlan(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): PlanExecuteUpdate {
    const settings = runSettings(state, config.context, deps.defaults);
    const toRun = stepsToRun(state);
    const finished = state.plan.filter((s) => !toRun.includes(s));
    const recovery = finished.length > 0;
    const steps = toRun.map((s) => ({ ...s, risk: deps.tools.riskOf(s.tool) }));
    const kept = finished.map((s) => ({
      id: s.id,
      description: s.description,
      status: stepRecordOf(state.steps, s.id)?.status ?? "pending",
    }));
    // A person picks among candidates before anything ran; a recovery offers none.
    const candidates = recovery ? null : candidatesOf(state, deps);
    let errors: string[] = [];
    const stop = digestOf({
      run: state.runId,
      type: "plan_approval",
      version: state.planVersion,
      steps,
      ...(recovery ? { kept } : {}),
      // With a plan search the stop also shows the candidates: a pick made for other ones is stale.
      ...(candidates ? { candidates } : {}),
    });
    for (;;) {
      const request: ApprovalRequest = {
        type: "plan_approval",
        stop,
        version: state.planVersion,
        steps,
        ...(recovery ? { kept } : {}),
        ...(candidates ? { candidates } : {}),
        errors,
      };
      const parsed = parseDecision(PlanDecisionSchema, interrupt(request), stop);
      if ("errors" in parsed) {
        errors = parsed.errors;
        continue;
      }
      const decision = parsed.value;
      if (decision.action === "approve")
        return { planReview: { version: state.planVersion, decision: "approved" } };
      if (decision.action === "reject") {
        if (recovery) {
          const why = `not run: a person rejected this recovery plan (${decision.feedback})`;
          return {
            steps: idRecord(
              toRun.map((s): [string, Partial<StepRecord> & { id: string }] => [
                s.id,
                { id: s.id, status: "skipped", error: why },
              ]),
            ),
            planReview: { version: state.planVersion, decision: "rejected" },
          };
        }
        return { planFeedback: decision.feedback, rejectedPlan: state.plan, plan: [], planReview: null };
      }
      if (decision.action === "pick" && recovery) {
        errors = ["pick refused: this plan has finished steps, there are no candidates to pick from"];
        continue;
      }
      if (decision.action === "pick") {
        const picked = pickCandidate(state, decision.candidate);
        if ("error" in picked) {
          errors = [picked.error];
          continue;
        }
        return picked.update;
      }
      const edited = decodeEditedPlan(decision.plan.steps);
      const finishedIds = new Set(finished.map((s) => s.id));
      const reused = edited.steps.filter((s) => finishedIds.has(s.id)).map((s) => s.id);
      const plan = [...finished, ...edited.steps];
      const issues = limitIssues([
        ...edited.errors,
        ...(reused.length > 0
          ? [`steps ${reused.join(", ")} already finished: edit only the steps still to run`]
          : validatePlan(plan, { tools: deps.tools, maxSteps: settings.maxSteps }).map((i) => i.message)),
      ]);
      if (issues.length > 0) {
        errors = issues.map((i) => `edit refused: ${i}`);
        continue;
      }
      const version = state.planVersion + 1;
      const dropped = toRun
        .filter((s) => !edited.steps.some((e) => e.id === s.id))
        .map((s): [string, Partial<StepRecord> & { id: string }] => [
          s.id,
          { id: s.id, status: "skipped", error: "not run: a person's edit removed it" },
        ]);
      return {
        plan,
        steps: recovery
          ? idRecord([...dropped, ...Object.entries(pendingRecords(edited.steps))])
          : pendingRecords(edited.steps),
        planVersion: version,
        planReview: { version, decision: "edited" },
      };
    }
  };
}

/** Accepts steps with `args` as an object (what a person types) or as the JSON string of the wire format. */
function decodeEditedPlan(raw: Record<string, unknown>[]): { steps: PlanStep[]; errors: string[] } {
  const wire = {
    steps: raw.map((s) => ({
      depends_on: [],
      expected_output: "",
      description: "",
      ...s,
      args: typeof s.args === "string" ? s.args : JSON.stringify(s.args ?? {}),
    })),
  };
  const parsed = WirePlanReadSchema.safeParse(wire);
  if (!parsed.success) {
    return { steps: [], errors: zodIssueLines(parsed.error.issues, "(plan)") };
  }
  return decodePlan(parsed.data);
}

/** The search's candidate plans for the stop, the chosen one first; null without a search. */
function candidatesOf(state: PlanExecuteStateType, deps: NodeDeps) {
  const tree = state.planSearch;
  if (!tree) return null;
  const list = tree.nodes
    .filter((n) => n.kind === "candidate")
    .map((n) => ({
      node: n.id,
      chosen: n.id === tree.current,
      value: n.prior,
      judge: n.judge,
      judgeReason: n.judgeReason,
      features: n.features?.score ?? 0,
      steps: n.plan.map((s) => ({ ...s, risk: deps.tools.riskOf(s.tool) })),
    }));
  return list.length > 1 ? [...list.filter((c) => c.chosen), ...list.filter((c) => !c.chosen)] : null;
}

/** A person picked another candidate: it becomes the plan (a new version, approved by the pick). */
function pickCandidate(
  state: PlanExecuteStateType,
  id: string,
): { update: PlanExecuteUpdate } | { error: string } {
  const tree = state.planSearch;
  const node = tree ? nodeById(tree, id) : undefined;
  if (!tree || !node || node.kind !== "candidate") {
    const known = tree?.nodes.filter((n) => n.kind === "candidate").map((n) => n.id) ?? [];
    return {
      error: `pick refused: there is no candidate "${id}" (candidates: ${known.join(", ") || "none"})`,
    };
  }
  if (id === tree.current)
    return { update: { planReview: { version: state.planVersion, decision: "approved" } } };
  const version = state.planVersion + 1;
  const picked = new Set(node.plan.map((s) => s.id));
  const dropped = state.plan
    .filter((s) => !picked.has(s.id))
    .map((s): [string, Partial<StepRecord> & { id: string }] => [
      s.id,
      { id: s.id, status: "skipped", error: `not run: a person picked candidate ${id}` },
    ]);
  return {
    update: {
      plan: node.plan,
      steps: idRecord([...dropped, ...Object.entries(pendingRecords(node.plan))]),
      planVersion: version,
      planReview: { version, decision: "picked" },
      planSearch: startNode(tree, id, version),
    },
  };
}
