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
  /** The tool the step called: a prompt points a line only into a block of the same tool (`stepBlocks`). */
  tool: string;
}

/**
 * The succeeded steps' outputs as the synthesizer, the answer review and the replanner read them.
 * A step's output is rendered by its tool (`PlanTool.promptText`) and cut to `promptOutputChars`;
 * when a later step that succeeded computed from it, it is cut to `usedOutputChars` instead and
 * the prompt is told which steps took it up: rows that a group_by step aggregated, or search
 * results an llm step extracted from, reach the answer through those steps' own outputs, and a
 * prompt that carried both would pay for the same facts twice. State keeps every output whole.
 *
 * A step computes from an output when it is read-only (LOW: its output is what it made of its
 * inputs) and either writes with a model (its dependencies are its inputs) or references the
 * output in its args. A step with effects (writing a file, sending an email) only carries what it
 * was given elsewhere — its output is a receipt — and a dependency kept only for ordering carries
 * nothing: neither cuts the output.
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
    const tool = tools.get(step.tool);
    if (tool?.risk !== "LOW") continue;
    // A reference in args counts whether or not depends_on names it: a recovery step may reference
    // a finished step without naming it there (plan/validate.ts).
    const inputs = new Set([
      ...(tool.usesModel ? step.depends_on : []),
      ...findReferences(step.args).map((r) => r.stepId),
    ]);
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
        tool: step.tool,
        output: stepOutputText(output, tool, settings.promptOutputChars),
      };
    const whole = stepOutputText(output, tool, Number.POSITIVE_INFINITY);
    const limit = Math.min(settings.usedOutputChars, settings.promptOutputChars);
    const text =
      whole.length <= limit
        ? whole
        : `${whole.slice(0, limit)}${limit > 0 ? "… " : ""}(${whole.length - limit} ${limit > 0 ? "more " : ""}characters, taken up by ${users.join(", ")})`;
    return { id: step.id, description: step.description, tool: step.tool, output: text };
  });
}
