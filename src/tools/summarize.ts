import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { z } from "zod";
import { textOf, usageOf } from "../models/structured.js";
import { CONFIDENCE_REQUEST, takeConfidence } from "./confidence.js";
import { clipText, MAX_SUMMARY_CHARS } from "./limits.js";
import { revisionRequest } from "./llm.js";
import { cutText, fenced, oneLine, stepBlocks, stepOutputText } from "./prompt-text.js";
import { ToolInputError, type PlanTool } from "./types.js";

/** Each dependency's output is cut to this many characters in the prompt. */
const MAX_INPUT_CHARS = 12_000;

const SummarizeArgs = z
  .object({
    text: z
      .string()
      .max(50_000)
      .optional()
      .describe(
        "The text to summarise; may embed {{step_id.output}} references. When omitted, the outputs of the steps " +
          "this step depends on are summarised.",
      ),
    focus: z
      .string()
      .max(500)
      .optional()
      .describe("What the summary is for or should concentrate on, e.g. 'an executive summary for the CFO'."),
    maxWords: z
      .number()
      .int()
      .min(20)
      .max(1000)
      .default(150)
      .describe("Upper bound on the summary's length in words."),
    format: z
      .enum(["paragraph", "bullets"])
      .default("paragraph")
      .describe("'paragraph' (default) for prose, 'bullets' for a bulleted list."),
  })
  .strict();

type SummarizeArgs = z.output<typeof SummarizeArgs>;

/** `summarize`: an LLM step on the executor model that condenses text or earlier steps' outputs. */
export const summarizeTool: PlanTool<SummarizeArgs> = {
  name: "summarize",
  description:
    "Summarise text, or the outputs of the steps this step depends on, with the executor language model: keeps " +
    "figures exactly as given, invents none. Returns the summary as text. Use for executive summaries and digests.",
  schema: SummarizeArgs as unknown as z.ZodType<SummarizeArgs>,
  risk: "LOW",
  usesModel: true,
  reflect: true,
  timeoutMs: 120_000,
  async run(args, ctx) {
    const material = args.text?.trim()
      ? // Fenced: a reference in the text ({{step_1.output}}) inserts an output as it is.
        cutText(fenced(args.text), MAX_INPUT_CHARS)
      : stepBlocks(
          ctx.dependencies.map((d) => ({
            id: d.id,
            description: d.description,
            tool: d.tool,
            text: cutText(
              d.text ?? stepOutputText(d.output, undefined, Number.POSITIVE_INFINITY),
              MAX_INPUT_CHARS,
            ),
          })),
        );
    if (!material.trim()) {
      throw new ToolInputError(
        "nothing to summarise: give text, or make the step depend on the steps to summarise",
      );
    }
    const shape =
      args.format === "bullets"
        ? "a bulleted list, one point per line starting with '- '"
        : "one or two paragraphs";
    const messages = [
      new SystemMessage(
        "You summarise material for one step of a larger plan. Use only the material given. Keep every number " +
          "exactly as it appears; never invent or recompute figures. Answer with the summary only.",
      ),
      new HumanMessage(
        [
          `Overall goal: ${ctx.goal}`,
          `This step: ${oneLine(ctx.step.description)}`,
          `Expected output: ${oneLine(ctx.step.expected_output)}`,
          args.focus ? `Focus: ${args.focus}` : "",
          `Length: at most ${args.maxWords} words, as ${shape}.`,
          `Material:\n${material}`,
          ctx.revision ? revisionRequest(ctx.revision) : "",
          ctx.confidence ? CONFIDENCE_REQUEST : "",
        ]
          .filter(Boolean)
          .join("\n\n"),
      ),
    ];
    const reply = await ctx.model.invoke(messages, { signal: ctx.signal });
    ctx.reportUsage(usageOf(reply, ctx.model));
    let text = textOf(reply);
    if (ctx.confidence) {
      const taken = takeConfidence(text);
      ctx.confidence.report(taken.raw);
      text = taken.text;
    }
    // The model is asked for maxWords; a model that ignores it still cannot return a book.
    return clipText(text.trim(), MAX_SUMMARY_CHARS);
  },
};
