import { z } from "zod";
import { idLabel, MAX_STEP_ID_LENGTH } from "./ids.js";

/**
 * One step as the model writes it. Every property is required and every object is closed so
 * that OpenAI's strict structured-output mode accepts the schema; `args` travels as a JSON
 * string because a free-form object cannot be expressed in strict mode. {@link decodePlan}
 * turns it into a {@link PlanStep}. The id grammar is stated in the plan rules, and it and the size
 * limits are enforced by validation, not by the schema: strict mode refuses `maxLength`, and a
 * schema failure would not tell the model which field to fix.
 */
/** A decoded plan step (args as an object), as the state and the search tree store it. */
export const PlanStepSchema = z.object({
  id: z.string(),
  description: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  depends_on: z.array(z.string()),
  expected_output: z.string(),
  reflect: z.boolean().optional(),
});

export const WirePlanStepSchema = z
  .object({
    id: z.string().describe("New unique id, e.g. step_1."),
    description: z.string().describe("What the step does, in one sentence."),
    tool: z.string(),
    args: z.string(),
    depends_on: z.array(z.string()),
    expected_output: z.string().describe("What a correct output looks like."),
    reflect: z.boolean(),
  })
  .strict();

/**
 * The plan schema the model is sent. It travels with every planner and replanner call, so what the
 * plan rules of the prompt say (`tool`, `args`, `depends_on`, `reflect`, reference syntax, the id
 * grammar and size limits, with {@link PLAN_LIMITS_RULE}) it does not say again; only the fields the
 * rules leave out are described, and the plan itself is not (the system prompt says what it is for,
 * and a schema description is sent twice: in the schema and beside its name).
 */
export const WirePlanSchema = z.object({ steps: z.array(WirePlanStepSchema) }).strict();

/**
 * The id grammar, as one rule line of the planner prompts. The size limits of a step's fields
 * (plan/limits.ts) are not: every planner call would pay for a sentence that a plan written in
 * good faith never needs, and a plan over a limit is refused with the field, its size, the limit and
 * what to do instead, which the repair round shows the model.
 */
export const PLAN_LIMITS_RULE = `- Ids: a letter, then letters, digits, _ or - (at most ${MAX_STEP_ID_LENGTH}); never reuse an id.`;

/**
 * The wire plan as it is *read*: `reflect` may be missing. Strict mode always sends it, but plans
 * written by a provider without strict mode, by a person editing a plan, or by scripts written
 * before the field existed leave it out; a missing `reflect` is `false`.
 */
export const WirePlanStepReadSchema = WirePlanStepSchema.extend({ reflect: z.boolean().optional() }).strict();

export const WirePlanReadSchema = z.object({ steps: z.array(WirePlanStepReadSchema) }).strict();

export type WirePlanStep = z.infer<typeof WirePlanStepSchema>;
export type WirePlan = z.infer<typeof WirePlanSchema>;
export type WirePlanRead = z.infer<typeof WirePlanReadSchema>;

/** A decoded plan step: `args` is a JSON object. */
export interface PlanStep {
  id: string;
  description: string;
  tool: string;
  args: Record<string, unknown>;
  depends_on: string[];
  expected_output: string;
  /**
   * The planner marked the step quality-critical: a critic reviews its output and the step revises
   * it (see `maxRevisions`). Absent means false; a tool may reflect by default (`PlanTool.reflect`).
   */
  reflect?: boolean;
}

export interface DecodedPlan {
  steps: PlanStep[];
  /** Steps whose `args` were not a JSON object, one message each. */
  errors: string[];
}

/**
 * Parses every step's `args` JSON string; a step whose args do not decode is kept with `{}`.
 * `reflect` is kept only when true, so a plain step looks as it did before the field existed.
 */
export function decodePlan(plan: WirePlanRead): DecodedPlan {
  const errors: string[] = [];
  const steps = plan.steps.map((wire): PlanStep => {
    const { value, error } = decodeArgs(wire.args);
    if (error) errors.push(`${idLabel(wire.id)}: args are not a JSON object (${error})`);
    const { reflect, ...rest } = wire;
    return {
      ...rest,
      depends_on: [...new Set(wire.depends_on)],
      args: value,
      ...(reflect === true ? { reflect: true } : {}),
    };
  });
  return { steps, errors };
}

/** The inverse of {@link decodePlan}, used to show a plan to a model in the wire format. */
export function encodePlan(steps: readonly PlanStep[]): WirePlan {
  return { steps: steps.map((s) => ({ ...s, args: JSON.stringify(s.args), reflect: s.reflect === true })) };
}

function decodeArgs(raw: string): { value: Record<string, unknown>; error?: string } {
  const text = raw.trim() === "" ? "{}" : raw;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      return { value: parsed as Record<string, unknown> };
    }
    return { value: {}, error: `got ${Array.isArray(parsed) ? "an array" : typeof parsed}` };
  } catch (err) {
    return { value: {}, error: (err as Error).message };
  }
}
