import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { z } from "zod";
import { runSettings, type Settings } from "../core/settings.js";
import { progressWriter } from "../core/events.js";
import type {
  Evaluation,
  PlanExecuteStateType,
  PlanExecuteUpdate,
  RoleUsage,
  StepRecord,
  UsageByRole,
} from "../core/state.js";
import { addUsage, stepRecordOf } from "../core/state.js";
import { deterministicVerdict } from "../execution/checks.js";
import { invokeStructured, StructuredOutputError } from "../models/structured.js";
import { idRecord } from "../plan/ids.js";
import type { PlanStep } from "../plan/schema.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { NodeDeps } from "./deps.js";
import { buildCriticPrompt, outputText } from "./prompts.js";

export const CriticVerdictSchema = z
  .object({
    pass: z.boolean().describe("True when the output satisfies the expected output."),
    reason: z.string().describe("One sentence: why it passes or what is wrong."),
  })
  .strict();

/** Whether the LLM critic checks this step under the run's `critic` setting. */
export function needsCritic(
  step: PlanStep,
  tools: ToolRegistry,
  settings: Pick<Settings, "critic">,
): boolean {
  if (settings.critic === "all") return true;
  return settings.critic === "llm_steps" && tools.get(step.tool)?.usesModel === true;
}

/**
 * The evaluator node: judges every step that finished since it last ran. Deterministic checks
 * first (error, timeout, empty output); then, where the settings ask for it, an LLM critic compares
 * the output with the step's `expected_output`. A step the critic rejects becomes failed.
 */
export function createEvaluatorNode(deps: NodeDeps) {
  return async function evaluator(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): Promise<PlanExecuteUpdate> {
    const settings = runSettings(state, config.context, deps.defaults);
    const emit = progressWriter(config.writer);
    const toJudge = state.plan.filter((s) => {
      const record = stepRecordOf(state.steps, s.id);
      return (
        record && (record.status === "succeeded" || record.status === "failed") && record.evaluation === null
      );
    });
    let usage: UsageByRole = {};
    const judged = await Promise.all(
      toJudge.map(async (step) => {
        const record = stepRecordOf(state.steps, step.id) as StepRecord;
        const checks = deterministicVerdict(record, deps.tools.get(step.tool));
        let evaluation: Evaluation = { ...checks, by: "checks" };
        if (checks.ok && needsCritic(step, deps.tools, settings)) {
          const verdict = await askCritic(
            deps.models("evaluator", settings),
            buildCriticPrompt({ goal: state.goal, step, output: outputText(record.output) }),
          );
          for (const callUsage of verdict.usage) usage = addUsage(usage, { evaluator: callUsage });
          evaluation = verdict.evaluation;
        }
        emit({ type: "step_evaluated", stepId: step.id, ...evaluation });
        return verdictPatch(record, evaluation);
      }),
    );
    return { steps: idRecord(judged.map((p) => [p.id, p])), usage };
  };
}

/** Times the critic is asked for a readable verdict on one step before the step fails. */
const CRITIC_ATTEMPTS = 2;

/**
 * The critic's verdict. An unreadable answer is sent back once with the problem; a second one fails
 * the step (the replanner takes over) rather than the whole run: a step the critic was asked to
 * check must not pass unchecked, but nor should one garbled verdict end the run. Transport errors
 * (after the client's own retries) still propagate, so the run stops and can be resumed.
 */
async function askCritic(
  model: BaseChatModel,
  prompt: BaseMessage[],
): Promise<{ evaluation: Evaluation; usage: RoleUsage[] }> {
  const usage: RoleUsage[] = [];
  let messages = prompt;
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await invokeStructured(model, CriticVerdictSchema, messages, { name: "verdict" });
      usage.push(answer.usage);
      return { evaluation: { ok: answer.value.pass, reason: answer.value.reason, by: "critic" }, usage };
    } catch (err) {
      if (!(err instanceof StructuredOutputError)) throw err;
      if (attempt >= CRITIC_ATTEMPTS) {
        const reason = `its verdict could not be read after ${attempt} attempts (${err.message})`;
        return { evaluation: { ok: false, reason, by: "critic" }, usage };
      }
      messages = [
        ...prompt,
        new HumanMessage(
          `Your last answer could not be read: ${err.message}\nAnswer again with only the verdict object.`,
        ),
      ];
    }
  }
}

function verdictPatch(record: StepRecord, evaluation: Evaluation): Partial<StepRecord> & { id: string } {
  if (evaluation.ok || record.status === "failed") return { id: record.id, evaluation };
  const prefix = evaluation.by === "critic" ? "rejected by the critic: " : "";
  return { id: record.id, evaluation, status: "failed", error: prefix + evaluation.reason };
}
