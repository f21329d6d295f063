import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  parseDecision,
  StepDecisionsSchema,
  type ApprovalRequest,
  type StepDecision,
} from "../core/decisions.js";
import {
  stepRecordOf,
  type AuditEntry,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  type StepRecord,
} from "../core/state.js";
import { digestOf } from "../plan/digest.js";
import { idRecord } from "../plan/ids.js";
import type { NodeDeps } from "./deps.js";
import { zodIssueLines } from "../plan/zod-issues.js";

/** Steps of the plan that wait for a person's decision. */
export function waitingSteps(state: Pick<PlanExecuteStateType, "plan" | "steps">) {
  return state.plan.filter((s) => {
    const record = stepRecordOf(state.steps, s.id);
    return record?.status === "pending" && record.approval?.status === "waiting";
  });
}

/**
 * The step approval node. Every step whose tier needs approval and that is ready to run waits
 * here, all in one stop, each decided on its own by step id: approve, edit its args (checked
 * against the tool's schema) or reject. A resume that names a step that is not waiting, or
 * carries an invalid edit, is refused as a whole — nothing is applied — and the stop stays with
 * the reasons. Decided steps run; undecided ones keep waiting for the next stop.
 */
export function createApproveStepsNode(deps: NodeDeps) {
  return function approveSteps(
    state: PlanExecuteStateType,
    _config: LangGraphRunnableConfig,
  ): PlanExecuteUpdate {
    const waiting = waitingSteps(state);
    if (waiting.length === 0) return {};
    let errors: string[] = [];
    const stop = digestOf({
      run: state.runId,
      type: "step_approval",
      steps: waiting.map((s) => [s.id, state.steps[s.id]?.approval?.digest ?? null]),
    });
    for (;;) {
      const request: ApprovalRequest = {
        type: "step_approval",
        stop,
        steps: waiting.map((s) => {
          const approval = stepRecordOf(state.steps, s.id)?.approval;
          return {
            stepId: s.id,
            tool: s.tool,
            risk: approval?.risk ?? deps.tools.riskOf(s.tool),
            description: s.description,
            args: approval?.args ?? s.args,
          };
        }),
        errors,
      };
      const parsed = parseDecision(StepDecisionsSchema, interrupt(request), stop);
      if ("errors" in parsed) {
        errors = parsed.errors;
        continue;
      }
      const decisions = normalise(
        parsed.value,
        waiting.map((s) => s.id),
      );
      const problems = "errors" in decisions ? decisions.errors : check(decisions.byStep, state, deps);
      if (problems.length > 0 || "errors" in decisions) {
        errors = problems;
        continue;
      }
      return apply(decisions.byStep, state);
    }
  };
}

type Normalised = { byStep: Map<string, StepDecision> } | { errors: string[] };

function normalise(value: unknown, waitingIds: string[]): Normalised {
  const v = value as { decisions?: Record<string, StepDecision>; stepId?: string } & StepDecision;
  if (v.decisions) return { byStep: new Map(Object.entries(v.decisions)) };
  if (v.stepId) {
    const { stepId, ...decision } = v;
    return { byStep: new Map([[stepId, decision as StepDecision]]) };
  }
  if (waitingIds.length === 1) return { byStep: new Map([[waitingIds[0] as string, v]]) };
  return {
    errors: [`${waitingIds.length} steps are waiting (${waitingIds.join(", ")}): say which one (stepId).`],
  };
}

function check(byStep: Map<string, StepDecision>, state: PlanExecuteStateType, deps: NodeDeps): string[] {
  const problems: string[] = [];
  for (const [stepId, decision] of byStep) {
    const record = stepRecordOf(state.steps, stepId);
    if (!record || !state.plan.some((s) => s.id === stepId)) {
      problems.push(`${stepId} is not a step of this plan; nothing was applied.`);
    } else if (record.approval?.status !== "waiting" || record.status !== "pending") {
      const was = record.approval
        ? `already ${record.approval.status}`
        : `not waiting (it is ${record.status})`;
      problems.push(`${stepId} is ${was}; nothing was applied.`);
    } else if (decision.action === "edit") {
      const tool = deps.tools.get(state.plan.find((s) => s.id === stepId)?.tool ?? "");
      const result = tool?.schema.safeParse(decision.args);
      if (!result?.success) {
        const why = result ? zodIssueLines(result.error.issues, "(args)") : [];
        problems.push(`edit of ${stepId} refused: ${why.join("; ") || "unknown tool"}; nothing was applied.`);
      }
    }
  }
  return problems;
}

function apply(byStep: Map<string, StepDecision>, state: PlanExecuteStateType): PlanExecuteUpdate {
  const steps = idRecord<Partial<StepRecord> & { id: string }>();
  const audit: AuditEntry[] = [];
  const at = Date.now();
  for (const [stepId, decision] of byStep) {
    const record = stepRecordOf(state.steps, stepId) as StepRecord;
    const waiting = record.approval as NonNullable<StepRecord["approval"]>;
    const tool = state.plan.find((s) => s.id === stepId)?.tool ?? "";
    const args = decision.action === "edit" ? decision.args : waiting.args;
    const status =
      decision.action === "approve" ? "approved" : decision.action === "edit" ? "edited" : "rejected";
    const reason = decision.action === "reject" ? (decision.reason ?? null) : null;
    steps[stepId] = {
      id: stepId,
      approval: { ...waiting, status, args, reason, decidedAt: at },
      ...(status === "rejected"
        ? {
            status: "rejected" as const,
            error: `rejected by a person${reason ? `: ${reason}` : ""}`,
            finishedAt: at,
          }
        : {}),
    };
    audit.push({ at, stepId, tool, risk: waiting.risk, args, decision: status, reason });
  }
  return { steps, audit };
}
