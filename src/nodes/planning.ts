import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { RoleUsage, StepRecord } from "../core/state.js";
import { idRecord } from "../plan/ids.js";
import { clipRefusedPlan, limitIssues } from "../plan/limits.js";
import {
  decodePlan,
  WirePlanReadSchema,
  WirePlanSchema,
  type PlanStep,
  type WirePlanRead,
} from "../plan/schema.js";
import { validatePlan, type ValidationContext } from "../plan/validate.js";
import { invokeStructured, StructuredOutputError } from "../models/structured.js";

export interface Proposal {
  /** The plan; when it is refused, with text over the size limits cut short. */
  steps: PlanStep[];
  /** Empty when the plan is valid. */
  issues: string[];
  usage: RoleUsage | null;
}

/**
 * Asks the model for a plan and validates it. A malformed answer is not an exception here but
 * an issue like any other, so it goes back to the model as a repair request.
 */
export async function proposePlan(
  model: BaseChatModel,
  messages: BaseMessage[],
  validation: ValidationContext & { allowEmpty?: boolean },
): Promise<Proposal> {
  let answer;
  try {
    answer = await invokeStructured(model, WirePlanSchema, messages, {
      name: "plan",
      read: WirePlanReadSchema,
    });
  } catch (err) {
    if (err instanceof StructuredOutputError) return { steps: [], issues: [err.message], usage: null };
    throw err;
  }
  return { ...checkPlan(answer.value, validation), usage: answer.usage };
}

/** Decodes and validates one wire plan: the steps, and the problems (none when it is valid). */
export function checkPlan(
  wire: WirePlanRead,
  validation: ValidationContext & { allowEmpty?: boolean },
): { steps: PlanStep[]; issues: string[] } {
  const decoded = decodePlan(wire);
  if (validation.allowEmpty && decoded.steps.length === 0) return { steps: [], issues: [] };
  const issues = limitIssues([
    ...decoded.errors,
    ...validatePlan(decoded.steps, validation).map((i) => i.message),
  ]);
  if (issues.length === 0) return { steps: decoded.steps, issues };
  // The refused plan is kept in state and shown to the model again: not a runaway answer in full.
  return { steps: clipRefusedPlan(decoded.steps), issues };
}

/** A pending record for each new step, keyed by step id (an object without prototype). */
export function pendingRecords(
  steps: readonly PlanStep[],
): Record<string, Partial<StepRecord> & { id: string }> {
  return idRecord(
    steps.map((s) => [
      s.id,
      {
        id: s.id,
        status: "pending" as const,
        output: undefined,
        error: null,
        attempts: 0,
        startedAt: null,
        finishedAt: null,
        evaluation: null,
      },
    ]),
  );
}
