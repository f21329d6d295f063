import type { Settings } from "../core/settings.js";
import { stepRecordOf, type PlanExecuteStateType } from "../core/state.js";
import type { PlanStep } from "../plan/schema.js";
import { findReferences } from "../plan/template.js";
import { stepOutputText, type ToolLookup } from "../tools/prompt-text.js";

/** One succeeded step as a prompt that writes or judges from the results is shown it. */
export interface StepEvidence {
  id: string;
  description: string;
  /** The output as prompt text: the tool's rendering, cut (see `evidenceOf`). */
  output: string;
}

/**
 * The succeeded steps' outputs as the synthesizer, the answer review and the replanner read them.
 * A step's output is rendered by its tool (`PlanTool.promptText`) and cut to `promptOutputChars`;
 * when a later step that succeeded took it as input, it is cut to `usedOutputChars` instead and
 * the prompt is told which steps took it up: rows that a group_by step aggregated, or search
 * results an llm step extracted from, reach the answer through those steps' own outputs, and a
 * prompt that carried both would pay for the same facts twice. State keeps every output whole.
 */
export function evidenceOf(
  state: Pick<PlanExecuteStateType, "plan" | "steps">,
  steps: readonly PlanStep[],
  tools: ToolLookup,
  settings: Pick<Settings, "promptOutputChars" | "usedOutputChars">,
): StepEvidence[] {
  const succeeded = (id: string) => stepRecordOf(state.steps, id)?.status === "succeeded";
  const usedBy = new Map<string, string[]>();
  for (const step of state.plan) {
    if (!succeeded(step.id)) continue;
    // Taken up through depends_on, or through a reference in args alone: a recovery step may
    // reference a finished step without naming it in depends_on (plan/validate.ts).
    const inputs = new Set([...step.depends_on, ...findReferences(step.args).map((r) => r.stepId)]);
    inputs.delete(step.id);
    for (const dep of inputs) usedBy.set(dep, [...(usedBy.get(dep) ?? []), step.id]);
  }
  return steps.map((step) => {
    const output = stepRecordOf(state.steps, step.id)?.output;
    const users = usedBy.get(step.id);
    const tool = tools.get(step.tool);
    if (!users)
      return {
        id: step.id,
        description: step.description,
        output: stepOutputText(output, tool, settings.promptOutputChars),
      };
    const whole = stepOutputText(output, tool, Number.POSITIVE_INFINITY);
    const limit = Math.min(settings.usedOutputChars, settings.promptOutputChars);
    const text =
      whole.length <= limit
        ? whole
        : `${whole.slice(0, limit)}${limit > 0 ? "… " : ""}(${whole.length - limit} ${limit > 0 ? "more " : ""}characters, taken up by ${users.join(", ")})`;
    return { id: step.id, description: step.description, output: text };
  });
}
