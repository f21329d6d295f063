/**
 * Size limits on what a model writes into a plan. A plan is stored in every checkpoint of the run,
 * shown in every later planner, replanner and critic prompt, and a refused plan is shown back to
 * the model for repair: without limits one runaway field (a 1 MB description) bloats all of them.
 *
 * The limits are checked by validation (a refused plan goes back to the planner with the reason),
 * not by the wire schema: OpenAI's strict structured output refuses `maxLength`, and a schema
 * failure would reach the model only as "did not match the plan schema". Pure, no LangGraph.
 */
import type { PlanStep } from "./schema.js";

/** Characters of a step's description: one sentence is asked for, a paragraph is plenty. */
export const MAX_DESCRIPTION_CHARS = 2_000;

/** Characters of a step's expected_output (the critic reads it; the planner is asked for one line). */
export const MAX_EXPECTED_OUTPUT_CHARS = 2_000;

/** Characters of a tool name. Registered names are shorter (OpenAI allows 64 for a function). */
export const MAX_TOOL_NAME_CHARS = 128;

/**
 * Characters of one step's args as compact JSON. Enough for a long prompt or email body; data
 * larger than this belongs in an earlier step's output, passed by `{{step_id.output}}` reference.
 */
export const MAX_ARGS_CHARS = 20_000;

/** Characters of the whole plan as wire JSON (every step, args as their JSON strings). */
export const MAX_PLAN_CHARS = 200_000;

/** Most problems sent back to the planner at once; the rest are counted, not listed. */
export const MAX_REPORTED_ISSUES = 20;

/** Characters of a refused text field kept when the refused plan is shown to the model again. */
const CLIP_CHARS = 200;

/** `n` with thousands separators, as the messages show sizes. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** At most {@link MAX_REPORTED_ISSUES} messages; a last one counts those left out. */
export function limitIssues(messages: readonly string[], max = MAX_REPORTED_ISSUES): string[] {
  if (messages.length <= max) return [...messages];
  const left = messages.length - (max - 1);
  return [...messages.slice(0, max - 1), `…and ${left} more problems; fix the ones above first.`];
}

/** Dependencies of a refused step kept when it is shown again. */
const CLIP_DEPENDENCIES = 100;

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const keep = Math.min(CLIP_CHARS, max);
  return `${text.slice(0, keep)}… (${count(text.length - keep)} more characters)`;
}

/**
 * A refused plan as it is kept in state and shown back to the model: text over its limit is cut to
 * its start (the problems list says how long it was), and steps past {@link MAX_PLAN_CHARS} are
 * dropped, so a runaway answer is not stored and echoed in full.
 */
export function clipRefusedPlan(steps: readonly PlanStep[]): PlanStep[] {
  const kept: PlanStep[] = [];
  let size = '{"steps":[]}'.length;
  for (const step of steps) {
    const args = JSON.stringify(step.args);
    const clipped: PlanStep = {
      id: clip(step.id, MAX_TOOL_NAME_CHARS),
      description: clip(step.description, MAX_DESCRIPTION_CHARS),
      tool: clip(step.tool, MAX_TOOL_NAME_CHARS),
      args: args.length > MAX_ARGS_CHARS ? {} : step.args,
      depends_on: step.depends_on.slice(0, CLIP_DEPENDENCIES).map((d) => clip(d, MAX_TOOL_NAME_CHARS)),
      expected_output: clip(step.expected_output, MAX_EXPECTED_OUTPUT_CHARS),
      ...(step.reflect === true ? { reflect: true } : {}),
    };
    // As the wire format measures it (args as a JSON string), with the comma between steps.
    size +=
      JSON.stringify({ ...clipped, args: JSON.stringify(clipped.args), reflect: clipped.reflect === true })
        .length + 1;
    if (size > MAX_PLAN_CHARS) break;
    kept.push(clipped);
  }
  return kept;
}
