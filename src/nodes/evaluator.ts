import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { z } from "zod";
import { runSettings, type Settings } from "../graph/context.js";
import { progressWriter } from "../graph/events.js";
import type {
  Evaluation,
  PlanExecuteStateType,
  PlanExecuteUpdate,
  StepRecord,
  UsageByRole,
} from "../graph/state.js";
import { addUsage } from "../graph/state.js";
import { deterministicVerdict } from "../execution/checks.js";
import { invokeStructured } from "../models/structured.js";
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
    const settings = runSettings(state, config.context);
    const emit = progressWriter(config.writer);
    const toJudge = state.plan.filter((s) => {
      const record = state.steps[s.id];
      return (
        record && (record.status === "succeeded" || record.status === "failed") && record.evaluation === null
      );
    });
    let usage: UsageByRole = {};
    const judged = await Promise.all(
      toJudge.map(async (step) => {
        const record = state.steps[step.id] as StepRecord;
        const checks = deterministicVerdict(record, deps.tools.get(step.tool));
        let evaluation: Evaluation = { ...checks, by: "checks" };
        if (checks.ok && needsCritic(step, deps.tools, settings)) {
          const { value, usage: callUsage } = await invokeStructured(
            deps.models("evaluator", settings),
            CriticVerdictSchema,
            buildCriticPrompt({ goal: state.goal, step, output: outputText(record.output) }),
            { name: "verdict" },
          );
          usage = addUsage(usage, { evaluator: callUsage });
          evaluation = { ok: value.pass, reason: value.reason, by: "critic" };
        }
        emit({ type: "step_evaluated", stepId: step.id, ...evaluation });
        return verdictPatch(record, evaluation);
      }),
    );
    return { steps: Object.fromEntries(judged.map((p) => [p.id, p])), usage };
  };
}

function verdictPatch(record: StepRecord, evaluation: Evaluation): Partial<StepRecord> & { id: string } {
  if (evaluation.ok || record.status === "failed") return { id: record.id, evaluation };
  const prefix = evaluation.by === "critic" ? "rejected by the critic: " : "";
  return { id: record.id, evaluation, status: "failed", error: prefix + evaluation.reason };
}
