import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings, type Settings } from "../core/settings.js";
import { PlanDecisionSchema, parseDecision, type ApprovalRequest } from "../core/decisions.js";
import type { PlanExecuteStateType, PlanExecuteUpdate } from "../core/state.js";
import { limitIssues } from "../plan/limits.js";
import { decodePlan, WirePlanReadSchema, type PlanStep } from "../plan/schema.js";
import { validatePlan } from "../plan/validate.js";
import type { ToolRegistry } from "../tools/registry.js";
import { digestOf } from "../plan/digest.js";
import type { NodeDeps } from "./deps.js";
import { pendingRecords } from "./planning.js";

/** Whether the current plan must be shown to a person before it runs. */
export function needsPlanReview(
  state: Pick<PlanExecuteStateType, "plan" | "planVersion" | "planReview">,
  settings: Pick<Settings, "approvePlan">,
  tools: Pick<ToolRegistry, "riskOf">,
): boolean {
  if (state.planReview?.version === state.planVersion) return false;
  if (settings.approvePlan === "always") return true;
  return settings.approvePlan === "risky" && state.plan.some((s) => tools.riskOf(s.tool) !== "LOW");
}

/**
 * The plan review node: stops with the validated plan and waits for a person. Approve runs it;
 * edit replaces it (validated again — an invalid edit is refused and the stop stays, listing why);
 * reject sends the run back to the planner with the person's feedback.
 */
export function createReviewPlanNode(deps: NodeDeps) {
  return function reviewPlan(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): PlanExecuteUpdate {
    const settings = runSettings(state, config.context, deps.defaults);
    const steps = state.plan.map((s) => ({ ...s, risk: deps.tools.riskOf(s.tool) }));
    let errors: string[] = [];
    const stop = digestOf({ run: state.runId, type: "plan_approval", version: state.planVersion, steps });
    for (;;) {
      const request: ApprovalRequest = {
        type: "plan_approval",
        stop,
        version: state.planVersion,
        steps,
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
        return { planFeedback: decision.feedback, rejectedPlan: state.plan, plan: [], planReview: null };
      }
      const edited = decodeEditedPlan(decision.plan.steps);
      const issues = limitIssues([
        ...edited.errors,
        ...validatePlan(edited.steps, { tools: deps.tools, maxSteps: settings.maxSteps }).map(
          (i) => i.message,
        ),
      ]);
      if (issues.length > 0) {
        errors = issues.map((i) => `edit refused: ${i}`);
        continue;
      }
      const version = state.planVersion + 1;
      return {
        plan: edited.steps,
        steps: pendingRecords(edited.steps),
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
    return { steps: [], errors: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  }
  return decodePlan(parsed.data);
}
