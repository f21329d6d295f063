import type { Settings } from "../core/settings.js";
import type { StepRecord } from "../core/state.js";
import type { PlanStep } from "../plan/schema.js";
import type { ToolRegistry } from "../tools/registry.js";
import { needsCritic } from "./evaluator.js";

/**
 * Whether a step's dependents wait until the evaluator has judged it, rather than starting the
 * moment it succeeds: the critic checks it, the remaining plan is judged after it
 * (`replan: "on_signal"`, so that a rewrite can still change what comes next), or its confidence
 * may stop it for a person (`minConfidence`, LLM steps).
 */
export function waitsForEvaluator(
  step: PlanStep,
  tools: ToolRegistry,
  settings: Pick<Settings, "critic" | "replan" | "minConfidence">,
): boolean {
  if (needsCritic(step, tools, settings)) return true;
  if (settings.replan === "on_signal") return true;
  return settings.minConfidence !== null && tools.get(step.tool)?.usesModel === true;
}

/**
 * Whether a succeeded step's output may be used by its dependents: it needed no judgement, or it
 * passed it — and no person is still to look at it (a low-confidence stop).
 */
export function clearedForDependents(
  step: PlanStep | undefined,
  record: StepRecord,
  tools: ToolRegistry,
  settings: Pick<Settings, "critic" | "replan" | "minConfidence">,
): boolean {
  if (record.status !== "succeeded") return false;
  if (record.confidenceGate?.status === "waiting") return false;
  return !step || !waitsForEvaluator(step, tools, settings) || record.evaluation?.ok === true;
}
