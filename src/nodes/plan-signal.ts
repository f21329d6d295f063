import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import type { Settings } from "../core/settings.js";
import type { PlanCheck, PlanExecuteStateType, RoleUsage } from "../core/state.js";
import { stepRecordOf } from "../core/state.js";
import { invokeStructured, StructuredOutputError } from "../models/structured.js";
import { encodePlan, type PlanStep } from "../plan/schema.js";
import { stepBlocks } from "../tools/prompt-text.js";

/**
 * The evaluator's judgement of the remaining plan (OpenAI strict mode: every field required), asked
 * after steps succeed while `replan` is `on_signal`.
 */
export const PlanFitSchema = z
  .object({
    fits: z
      .boolean()
      .describe(
        "True when the remaining steps still make sense given what the finished steps found; false when " +
          "what was learned means they should be rewritten (wrong assumption, missing step, needless step).",
      ),
    reason: z
      .string()
      .describe(
        "One or two sentences. If it does not fit: what was learned and what the remaining steps miss " +
          "(the replanner gets this). If it fits: why.",
      ),
  })
  .strict();

export interface PlanFitPromptInput {
  goal: string;
  /** The succeeded steps, their outputs as prompt text (see `stepOutputText`). */
  finished: { id: string; description: string; output: string; tool?: string }[];
  /** The steps that just succeeded (a subset of `finished`). */
  after: string[];
  remaining: PlanStep[];
}

export function buildPlanFitPrompt(input: PlanFitPromptInput): BaseMessage[] {
  const finished = stepBlocks(
    input.finished.map((f) => ({
      id: f.id,
      description: `${input.after.includes(f.id) ? "(just finished) " : ""}${f.description}`,
      text: f.output,
      tool: f.tool,
    })),
  );
  return [
    new SystemMessage(
      "You watch a plan-and-execute agent. Some steps just finished. Decide whether the steps that have not run " +
        "yet still fit what the finished steps found. Say it does not fit only for a real reason: a result that " +
        "contradicts an assumption of the remaining steps, makes one of them useless, or shows that a step is " +
        "missing. Wording or style is no reason. Rewriting costs a model call and time.",
    ),
    new HumanMessage(
      `Goal: ${input.goal}\n\nFinished steps and their outputs:\n${finished}\n\n` +
        `Remaining steps:\n${JSON.stringify(encodePlan(input.remaining).steps, null, 2)}`,
    ),
  ];
}

/** Times the evaluator is asked for a readable judgement before the plan is kept as it is. */
const CHECK_ATTEMPTS = 2;

/**
 * Which steps the evaluator judges the remaining plan after: the steps that succeeded (and passed)
 * in this pass, when `replan` is `on_signal`, nothing failed, steps are left to rewrite, and a
 * replan is still allowed (`maxReplans`). Empty: no judgement is asked for.
 */
export function planCheckAfter(
  state: Pick<PlanExecuteStateType, "plan" | "steps" | "replans" | "replanSignal">,
  judged: {
    id: string;
    status?: string;
    evaluation?: { ok: boolean } | null;
    confidenceGate?: { status: string } | null;
  }[],
  settings: Pick<Settings, "replan" | "maxReplans">,
): string[] {
  if (settings.replan !== "on_signal" || state.replanSignal) return [];
  if (state.replans >= settings.maxReplans) return [];
  const statusOf = (id: string) =>
    judged.find((p) => p.id === id)?.status ?? stepRecordOf(state.steps, id)?.status ?? "pending";
  if (state.plan.some((s) => ["failed", "rejected"].includes(statusOf(s.id)))) return [];
  if (!state.plan.some((s) => statusOf(s.id) === "pending")) return [];
  // A step whose output waits for a person (low confidence) is judged after, once they decided.
  return judged
    .filter((p) => statusOf(p.id) === "succeeded" && p.evaluation?.ok !== false)
    .filter((p) => p.confidenceGate?.status !== "waiting")
    .map((p) => p.id);
}

/**
 * Asks the evaluator model whether the remaining plan still fits. An unreadable answer is sent
 * back once with the problem; a second one keeps the plan as it is and says so (`unreadable`).
 * Transport errors propagate (the node stops; a resume asks again).
 */
export async function checkPlan(
  model: BaseChatModel,
  input: PlanFitPromptInput & { planVersion: number },
): Promise<{ check: PlanCheck; usage: RoleUsage[] }> {
  const prompt = buildPlanFitPrompt(input);
  const usage: RoleUsage[] = [];
  const base = { after: input.after, planVersion: input.planVersion };
  let messages = prompt;
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await invokeStructured(model, PlanFitSchema, messages, { name: "plan_fit" });
      usage.push(answer.usage);
      const verdict = answer.value.fits ? "fits" : "replan";
      return { check: { at: Date.now(), ...base, verdict, reason: answer.value.reason, note: null }, usage };
    } catch (err) {
      if (!(err instanceof StructuredOutputError)) throw err;
      if (attempt >= CHECK_ATTEMPTS) {
        const note = `the evaluator's judgement could not be read after ${attempt} attempts (${err.message}); the plan was kept as it is`;
        return { check: { at: Date.now(), ...base, verdict: "unreadable", reason: "", note }, usage };
      }
      messages = [
        ...prompt,
        new HumanMessage(
          `Your last answer could not be read: ${err.message}\nAnswer again with only the plan_fit object.`,
        ),
      ];
    }
  }
}
