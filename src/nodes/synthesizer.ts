import type { AIMessageChunk } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings } from "../core/settings.js";
import { progressWriter } from "../core/events.js";
import { stepRecordOf, type PlanExecuteStateType, type PlanExecuteUpdate } from "../core/state.js";
import { usageOf } from "../models/structured.js";
import type { NodeDeps } from "./deps.js";
import { evidenceOf } from "./evidence.js";
import { buildSynthesizerPrompt } from "./prompts.js";

/** Whether the run ends without every planned step having succeeded. */
export function isPartial(state: Pick<PlanExecuteStateType, "plan" | "steps">): boolean {
  return state.plan.some((s) => stepRecordOf(state.steps, s.id)?.status !== "succeeded");
}

/**
 * The synthesizer node: streams the final answer from the step results, citing step ids. When
 * the run is partial it is told so, and told which steps failed, so the answer stays honest.
 */
export function createSynthesizerNode(deps: NodeDeps) {
  return async function synthesizer(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): Promise<PlanExecuteUpdate> {
    const settings = runSettings(state, config.context, deps.defaults);
    const emit = progressWriter(config.writer);
    const partial = isPartial(state);
    const succeeded = state.plan.filter((s) => stepRecordOf(state.steps, s.id)?.status === "succeeded");
    const notDone = state.plan.filter((s) => stepRecordOf(state.steps, s.id)?.status !== "succeeded");
    const messages = buildSynthesizerPrompt({
      goal: state.goal,
      results: evidenceOf(state, succeeded, deps.tools, settings),
      failures: notDone.map((s) => ({
        id: s.id,
        description: s.description,
        error:
          stepRecordOf(state.steps, s.id)?.error ??
          `not run (${stepRecordOf(state.steps, s.id)?.status ?? "pending"})`,
      })),
      // An exhausted plan search: the plans it tried, so the partial answer names them.
      ...(state.planSearch?.ended ? { tried: triedPlans(state) } : {}),
      partial,
      // A revision after a failed answer review: the previous answer and what the review found.
      ...(state.answerReview && !state.answerReview.passed && state.finalAnswer !== null
        ? { review: { answer: state.finalAnswer, findings: state.answerReview.findings } }
        : {}),
    });
    let answer = "";
    let last: AIMessageChunk | undefined;
    let finishReason: unknown;
    const model = await deps.models("synthesizer", settings);
    for await (const chunk of await model.stream(messages)) {
      answer += chunk.text;
      if (chunk.usage_metadata) last = chunk;
      finishReason = chunk.response_metadata?.finish_reason ?? finishReason;
    }
    if (finishReason === "length") {
      // A cut-off answer must not pass for the answer. Throwing leaves the run at its last
      // checkpoint, every step result kept: a resume (after raising the model's output limit)
      // asks the synthesizer again and nothing else.
      throw new Error(
        `the final answer was cut off at the synthesizer model's output limit (finish_reason "length") ` +
          `after ${answer.length} characters; the step results are kept: resume the thread to write it again`,
      );
    }
    if (answer.trim() === "") {
      // Nor may a blank one: a run that "finished" with no answer could only be run again from
      // scratch. Thrown like the cut-off case, so a resume asks the synthesizer again and nothing else.
      const what =
        answer === "" ? "an empty answer" : `a blank answer (${answer.length} whitespace characters)`;
      const reason = typeof finishReason === "string" ? ` (finish_reason "${finishReason}")` : "";
      throw new Error(
        `the synthesizer model returned ${what}${reason}; the step results are kept: ` +
          "resume the thread to ask it again",
      );
    }
    emit({ type: "final", answer, partial });
    return { finalAnswer: answer, usage: { synthesizer: usageOf(last, model) } };
  };
}

/** The plans an exhausted search tried, apart from the one the answer is written from. */
function triedPlans(state: PlanExecuteStateType): string[] {
  const tree = state.planSearch;
  if (!tree) return [];
  return tree.nodes
    .filter((n) => n.kind !== "root" && n.visits > 0 && n.id !== tree.current)
    .map((n) => `${n.kind} plan ${n.id} (${n.plan.map((s) => s.tool).join(" → ")}): ${n.note ?? n.status}`);
}
