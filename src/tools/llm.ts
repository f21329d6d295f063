import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { z } from "zod";
import { textOf, usageOf } from "../models/structured.js";
import { CONFIDENCE_REQUEST, takeConfidence } from "./confidence.js";
import { clipText, MAX_LLM_ANSWER_CHARS } from "./limits.js";
import type { PlanTool, StepRevision } from "./types.js";

const LlmArgs = z
  .object({
    prompt: z
      .string()
      .max(20_000)
      .default("")
      .describe("Extra instructions for this step; may embed {{step_id.output}} references. Optional."),
  })
  .strict();

/**
 * An LLM step: the executor model gets the goal, the step's description and expected output, the
 * outputs of its dependencies, and any extra prompt. Used for extraction, comparison and writing.
 */
export const llmTool: PlanTool<z.output<typeof LlmArgs>> = {
  name: "llm",
  description:
    "Ask the executor language model to reason over the outputs of the steps it depends on (extract, compare, summarise, write). " +
    `Not for arithmetic: use calculator. Answers over ${MAX_LLM_ANSWER_CHARS} characters are cut off.`,
  schema: LlmArgs as unknown as z.ZodType<z.output<typeof LlmArgs>>,
  risk: "LOW",
  pinned: true,
  usesModel: true,
  reflect: true,
  async run(args, ctx) {
    const inputs = ctx.dependencies
      .map(
        (d) =>
          `[${d.id}] ${d.description}\n${typeof d.output === "string" ? d.output : JSON.stringify(d.output)}`,
      )
      .join("\n\n");
    const messages = [
      new SystemMessage(
        "You carry out one step of a larger plan. Answer with the step's result only, in the form the expected output asks for.",
      ),
      new HumanMessage(
        [
          `Overall goal: ${ctx.goal}`,
          `This step: ${ctx.step.description}`,
          `Expected output: ${ctx.step.expected_output}`,
          inputs ? `Inputs from earlier steps:\n${inputs}` : "",
          args.prompt ? `Instructions: ${args.prompt}` : "",
          ctx.revision ? revisionRequest(ctx.revision) : "",
          ctx.confidence ? CONFIDENCE_REQUEST : "",
        ]
          .filter(Boolean)
          .join("\n\n"),
      ),
    ];
    const reply = await ctx.model.invoke(messages, { signal: ctx.signal });
    const usage = usageOf(reply, ctx.model);
    ctx.reportUsage(usage);
    let text = textOf(reply);
    if (ctx.confidence) {
      const taken = takeConfidence(text);
      ctx.confidence.report(taken.raw);
      text = taken.text;
    }
    // A cut-off JSON object would not parse: an answer over the cap is returned as clipped text.
    return text.length > MAX_LLM_ANSWER_CHARS
      ? clipText(text, MAX_LLM_ANSWER_CHARS)
      : parseIfJsonObject(text);
  },
};

/** MAX draft characters shown back to the model when it revises. */
const MAX_DRAFT_CHARS = 12_000;

/**
 * The part of an LLM step's prompt that asks for a revision: the draft the critic sent back and its
 * feedback. Shared by the tools that write with a model (`llm`, `summarize`).
 */
export function revisionRequest(revision: StepRevision): string {
  const draft = typeof revision.draft === "string" ? revision.draft : JSON.stringify(revision.draft);
  const shown =
    draft.length > MAX_DRAFT_CHARS
      ? `${draft.slice(0, MAX_DRAFT_CHARS)}… (${draft.length - MAX_DRAFT_CHARS} more characters)`
      : draft;
  return (
    `Your previous draft:\n${shown}\n\n` +
    `A reviewer sent it back with this feedback: ${revision.feedback}\n\n` +
    "Write a better version that addresses the feedback, in the same form. Answer with the new version only."
  );
}

/**
 * An answer that is a JSON object (optionally in a ```json fence) is kept as that object, so that
 * later steps can reference its fields (`{{step_3.output.total}}`); any other answer stays text.
 */
export function parseIfJsonObject(text: string): unknown {
  const body = text
    .trim()
    .replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, "$1")
    .trim();
  if (!body.startsWith("{")) return text;
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : text;
  } catch {
    return text;
  }
}
