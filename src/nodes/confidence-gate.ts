import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { normaliseConfidence, type Confidence } from "../core/confidence.js";
import {
  OutputDecisionsSchema,
  parseDecision,
  type ApprovalRequest,
  type OutputDecision,
} from "../core/decisions.js";
import type { ProgressWriter } from "../core/events.js";
import { runSettings, type Settings } from "../core/settings.js";
import {
  stepRecordOf,
  type ConfidenceGate,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  type StepRecord,
} from "../core/state.js";
import { digestOf } from "../plan/digest.js";
import { idRecord } from "../plan/ids.js";
import type { PlanStep } from "../plan/schema.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { NodeDeps } from "./deps.js";

type Patch = Partial<StepRecord> & { id: string };

/**
 * Confidence gating (`minConfidence`), applied by the evaluator to a step it just judged: the
 * step's own confidence (a tool that writes with a model) and the critic's (when it judged the
 * step) are recorded; when the lowest is below the threshold the step stops for a person
 * (`confidenceGate: waiting`), and its dependents wait. A confidence that is missing or outside
 * 0–1 counts as 0 and the reasons say so. Steps that failed, and steps no model wrote or judged,
 * are not gated.
 */
export function gateOnConfidence(
  step: PlanStep,
  patch: Patch,
  record: StepRecord,
  ctx: {
    step: Confidence | undefined;
    critic: Confidence | undefined;
    tools: ToolRegistry;
    settings: Pick<Settings, "minConfidence">;
    emit: ProgressWriter;
  },
): Patch {
  const threshold = ctx.settings.minConfidence;
  if (threshold === null) return patch;
  const status = patch.status ?? record.status;
  const evaluation = patch.evaluation ?? record.evaluation;
  if (status !== "succeeded" || evaluation?.ok !== true) return patch;
  const sources: [string, Confidence][] = [];
  if (ctx.tools.get(step.tool)?.usesModel) {
    sources.push(["the step", ctx.step ?? normaliseConfidence(undefined, "the step")]);
  }
  if (evaluation.by === "critic") {
    sources.push(["the critic", ctx.critic ?? normaliseConfidence(undefined, "the critic")]);
  }
  if (sources.length === 0) return patch;
  const recorded: Patch = {
    ...patch,
    ...(ctx.tools.get(step.tool)?.usesModel ? { stepConfidence: sources[0]?.[1] ?? null } : {}),
    ...(evaluation.by === "critic" ? { criticConfidence: sources.at(-1)?.[1] ?? null } : {}),
  };
  const confidence = Math.min(...sources.map(([, c]) => c.value));
  if (confidence >= threshold) return recorded;
  const reasons = sources.flatMap(([who, c]) => {
    if (c.note) return [c.note];
    return c.value < threshold
      ? [`${who}'s confidence ${c.value.toFixed(2)} is below minConfidence ${threshold}`]
      : [];
  });
  ctx.emit({ type: "step_gated", stepId: step.id, confidence, threshold, reasons });
  const gate: ConfidenceGate = {
    status: "waiting",
    confidence,
    threshold,
    reasons,
    reason: null,
    decidedAt: null,
  };
  return { ...recorded, confidenceGate: gate };
}

/** Steps of the plan whose output waits for a person after a low confidence. */
export function lowConfidenceSteps(state: Pick<PlanExecuteStateType, "plan" | "steps">): PlanStep[] {
  return state.plan.filter((s) => stepRecordOf(state.steps, s.id)?.confidenceGate?.status === "waiting");
}

/**
 * The low-confidence stop: every step whose confidence was below `minConfidence` waits here, in one
 * stop, each decided by step id — approve its output, edit it (the new output replaces it), or
 * reject it (the step becomes rejected and the replanner takes over). The step never runs again:
 * its output is in the state already. A resume value that names a step that is not waiting, or an
 * edit over `maxOutputBytes`, is refused as a whole and the stop asks again with the reasons.
 */
export function createConfidenceGateNode(deps: NodeDeps) {
  return function confidenceGate(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): PlanExecuteUpdate {
    const waiting = lowConfidenceSteps(state);
    if (waiting.length === 0) return {};
    const settings = runSettings(state, config.context, deps.defaults);
    const recordOf = (id: string) => stepRecordOf(state.steps, id) as StepRecord;
    const stop = digestOf({
      run: state.runId,
      type: "low_confidence",
      steps: waiting.map((s) => [s.id, digestOf(recordOf(s.id).output ?? null)]),
    });
    let errors: string[] = [];
    for (;;) {
      const request: ApprovalRequest = {
        type: "low_confidence",
        stop,
        steps: waiting.map((s) => {
          const record = recordOf(s.id);
          const gate = record.confidenceGate as ConfidenceGate;
          return {
            stepId: s.id,
            tool: s.tool,
            description: s.description,
            confidence: gate.confidence,
            threshold: gate.threshold,
            reasons: gate.reasons,
            output: record.output,
          };
        }),
        errors,
      };
      const parsed = parseDecision(OutputDecisionsSchema, interrupt(request), stop);
      if ("errors" in parsed) {
        errors = parsed.errors;
        continue;
      }
      const byStep = decisionsByStep(
        parsed.value,
        waiting.map((s) => s.id),
      );
      const problems =
        "errors" in byStep ? byStep.errors : check(byStep.map, waiting, settings.maxOutputBytes);
      if (problems.length > 0 || "errors" in byStep) {
        errors = problems;
        continue;
      }
      return { steps: apply(byStep.map, recordOf) };
    }
  };
}

function decisionsByStep(
  value: unknown,
  waitingIds: string[],
): { map: Map<string, OutputDecision> } | { errors: string[] } {
  const v = value as { decisions?: Record<string, OutputDecision>; stepId?: string } & OutputDecision;
  if (v.decisions) return { map: new Map(Object.entries(v.decisions)) };
  if (v.stepId) {
    const { stepId, ...decision } = v;
    return { map: new Map([[stepId, decision as OutputDecision]]) };
  }
  if (waitingIds.length === 1) return { map: new Map([[waitingIds[0] as string, v]]) };
  return {
    errors: [`${waitingIds.length} steps are waiting (${waitingIds.join(", ")}): say which one (stepId).`],
  };
}

function check(map: Map<string, OutputDecision>, waiting: PlanStep[], maxOutputBytes: number): string[] {
  const problems: string[] = [];
  for (const [stepId, decision] of map) {
    if (!waiting.some((s) => s.id === stepId)) {
      problems.push(`${stepId} does not wait for review; nothing was applied.`);
    } else if (decision.action === "edit") {
      const text = typeof decision.output === "string" ? decision.output : JSON.stringify(decision.output);
      const bytes = Buffer.byteLength(text ?? "");
      if (bytes > maxOutputBytes)
        problems.push(
          `edit of ${stepId} refused: the output is ${bytes} bytes, over maxOutputBytes ${maxOutputBytes}; nothing was applied.`,
        );
    }
  }
  return problems;
}

function apply(map: Map<string, OutputDecision>, recordOf: (id: string) => StepRecord) {
  const steps = idRecord<Patch>();
  const at = Date.now();
  for (const [stepId, decision] of map) {
    const gate = recordOf(stepId).confidenceGate as ConfidenceGate;
    const reason = decision.action === "reject" ? (decision.reason ?? null) : null;
    const status =
      decision.action === "approve" ? "approved" : decision.action === "edit" ? "edited" : "rejected";
    steps[stepId] = {
      id: stepId,
      confidenceGate: { ...gate, status, reason, decidedAt: at },
      ...(decision.action === "edit" ? { output: decision.output } : {}),
      ...(decision.action === "reject"
        ? {
            status: "rejected" as const,
            error: `rejected by a person at the low-confidence stop${reason ? `: ${reason}` : ""}`,
          }
        : {}),
    };
  }
  return steps;
}
