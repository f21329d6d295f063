import { z } from "zod";
import type { PlanStep } from "../plan/schema.js";
import type { RiskTier } from "./risk.js";
import { BUDGET_KEYS, type BudgetKey } from "./settings.js";
import { zodIssueLines } from "../plan/zod-issues.js";

/**
 * What a run shows a person when it stops (the `interrupt()` payloads), and what it accepts
 * back through `Command({ resume })`. Shared by the nodes, the CLI and embedding apps.
 */
export type ApprovalRequest = (
  | {
      type: "plan_approval";
      version: number;
      /** The steps still to run (for a recovery plan, only its new and unstarted steps). */
      steps: (PlanStep & { risk: RiskTier })[];
      /** A recovery plan's steps that already finished; they stay as they are whatever is decided. */
      kept?: { id: string; description: string; status: string }[];
      /**
       * Plan search: every candidate plan with its value (judge and features combined), the chosen
       * one first; `{ action: "pick", candidate }` runs another instead. Absent without a search.
       */
      candidates?: {
        node: string;
        chosen: boolean;
        value: number;
        judge: number | null;
        judgeReason: string | null;
        features: number;
        steps: (PlanStep & { risk: RiskTier })[];
      }[];
      /** Why the previous answer to this stop was refused, if it was. */
      errors: string[];
    }
  | {
      type: "step_approval";
      steps: {
        stepId: string;
        tool: string;
        risk: RiskTier;
        description: string;
        args: Record<string, unknown>;
      }[];
      errors: string[];
    }
  | {
      /** Steps whose confidence was below `minConfidence`: their outputs wait for a person. */
      type: "low_confidence";
      steps: {
        stepId: string;
        tool: string;
        description: string;
        confidence: number;
        threshold: number;
        reasons: string[];
        output: unknown;
      }[];
      errors: string[];
    }
  | {
      type: "budget";
      exceeded: { key: BudgetKey; limit: number; used: number }[];
      used: Record<BudgetKey, number>;
      errors: string[];
    }
) & {
  /**
   * This stop's id: a digest of the run, the kind of stop and exactly what it shows (plan version
   * and steps, or each waiting step's tool and resolved args, or the budgets). A resume value may
   * name it (`{ stop, ...decision }`); a decision that names another stop is refused as stale.
   */
  stop: string;
};

const Reject = z.object({ action: z.literal("reject"), reason: z.string().optional() });

export const PlanDecisionSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("approve") }),
  z.object({
    action: z.literal("edit"),
    /** A replacement plan; each step's args may be an object or a JSON string. */
    plan: z.object({ steps: z.array(z.record(z.string(), z.unknown())) }),
  }),
  z.object({ action: z.literal("reject"), feedback: z.string().min(1) }),
  /** Plan search: run another candidate (by its node id, e.g. "n2") instead of the chosen one. */
  z.object({ action: z.literal("pick"), candidate: z.string().min(1) }),
]);
export type PlanDecision = z.infer<typeof PlanDecisionSchema>;

export const StepDecisionSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("approve") }),
  z.object({ action: z.literal("edit"), args: z.record(z.string(), z.unknown()) }),
  Reject,
]);
export type StepDecision = z.infer<typeof StepDecisionSchema>;

/** `{ decisions: { step_3: {...} } }`, `{ stepId, action, ... }`, or a bare decision when one step waits. */
export const StepDecisionsSchema = z.union([
  z.object({ decisions: z.record(z.string(), StepDecisionSchema) }),
  z.intersection(z.object({ stepId: z.string() }), StepDecisionSchema),
  StepDecisionSchema,
]);

/** At a low-confidence stop: keep the output, replace it, or reject it (the replanner takes over). */
export const OutputDecisionSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("approve") }),
  z.object({
    action: z.literal("edit"),
    output: z.unknown().refine((v) => v !== undefined && v !== null, "the edited output is missing"),
  }),
  Reject,
]);
export type OutputDecision = z.infer<typeof OutputDecisionSchema>;

/** `{ decisions: { step_3: {...} } }`, `{ stepId, action, ... }`, or a bare decision when one step waits. */
export const OutputDecisionsSchema = z.union([
  z.object({ decisions: z.record(z.string(), OutputDecisionSchema) }),
  z.intersection(z.object({ stepId: z.string() }), OutputDecisionSchema),
  OutputDecisionSchema,
]);

export const BudgetDecisionSchema = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("raise"),
    limits: z.partialRecord(z.enum(BUDGET_KEYS), z.number().positive()),
  }),
  z.object({ action: z.literal("finish") }),
]);
export type BudgetDecision = z.infer<typeof BudgetDecisionSchema>;

/**
 * Parses a resume value for the stop `stop`, or returns the problems as readable strings. A value
 * that names another stop was made for something the person saw before (an earlier stop of this
 * run, another run on the thread, the run a fork came from): it is refused, never applied here.
 */
export function parseDecision<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  stop: string,
): { value: T } | { errors: string[] } {
  let value = raw;
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && "stop" in raw) {
    const { stop: named, ...decision } = raw as { stop: unknown };
    if (named !== stop) {
      return {
        errors: [
          `stale decision: it answers stop ${String(named)}, but the run now waits at stop ${stop}; nothing was applied — look at what waits now and decide again`,
        ],
      };
    }
    value = decision;
  }
  const result = schema.safeParse(value);
  if (result.success) return { value: result.data };
  return {
    errors: [
      `the decision ${JSON.stringify(value)?.slice(0, 200)} is not valid: ${zodIssueLines(result.error.issues, "(decision)").join("; ")}`,
    ],
  };
}
