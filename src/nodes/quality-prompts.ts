import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import type { PlanStep } from "../plan/schema.js";
import { failureLine, oneLine, stepBlocks, stepOutputText } from "../tools/prompt-text.js";

/**
 * The critic's verdict on one draft of a reflecting step, as the model is asked for it (OpenAI
 * strict mode: every field required). Named "verdict" like the pass/fail critic's. Its fields are
 * explained once, in the critic's system prompt, not again as schema descriptions.
 */
export const ReflectionVerdictSchema = z
  .object({ pass: z.boolean(), score: z.number(), reason: z.string() })
  .strict();

/**
 * The verdict as it is read: a missing score, or one that is not a number, is not an unreadable
 * verdict but a score of 0, said so in the step's record (see `normaliseScore`).
 */
export const ReflectionVerdictReadSchema = z.object({
  pass: z.boolean(),
  score: z.unknown().optional(),
  reason: z.string(),
});

/** The confidence field the critic is asked for while the run gates on confidence (`minConfidence`). */
const CONFIDENCE_FIELD = z
  .number()
  .describe(
    "How sure you are of this verdict, from 0 (guessing) to 1 (certain); below 0.5 means a person should check.",
  );

/**
 * A verdict schema with a required `confidence` (strict mode: every field required), and its
 * lenient reading: a missing or malformed confidence is not an unreadable verdict but a low
 * confidence, said so in the step's record (see `normaliseConfidence`).
 */
export function withConfidence<T extends z.ZodRawShape>(
  schema: z.ZodObject<T>,
): { ask: z.ZodType; read: z.ZodType<z.output<z.ZodObject<T>> & { confidence?: unknown }> } {
  return {
    ask: z.object({ ...schema.shape, confidence: CONFIDENCE_FIELD }).strict(),
    read: z.object({ ...schema.shape, confidence: z.unknown().optional() }) as never,
  };
}

export interface ReflectionCriticPromptInput {
  goal: string;
  step: PlanStep;
  /**
   * The outputs the step worked from, so that the critic can check facts against them; `text`, when
   * given, is shown as it is (already rendered and cut, see `stepOutputText`).
   */
  inputs: { id: string; description: string; output: unknown; text?: string; tool?: string }[];
  /** The draft as prompt text (already rendered and cut, see `stepOutputText`). */
  draft: string;
  /** 0 for the step's first draft, then 1, 2, … for its revisions. */
  revision: number;
}

export function buildReflectionCriticPrompt(input: ReflectionCriticPromptInput): BaseMessage[] {
  const inputs = input.inputs.length
    ? `\nInputs the step worked from:\n${stepBlocks(
        input.inputs.map((d) => ({ ...d, text: d.text ?? stepOutputText(d.output) })),
      )}\n`
    : "";
  const which = input.revision === 0 ? "Draft" : `Draft (revision ${input.revision})`;
  return [
    new SystemMessage(
      "You review one step of a plan-and-execute agent. pass: does the step's draft satisfy its expected output " +
        "and need no revision? score: from 0 (unusable) to 1 (fully satisfies it). reason: if it does not pass, " +
        "exactly what is wrong or missing and what to change (the step gets it to revise its draft); if it passes, " +
        "why, in one sentence. Be strict about facts and numbers (they must come from the inputs), lenient about " +
        "wording.",
    ),
    new HumanMessage(
      `Goal: ${input.goal}\nStep ${input.step.id}: ${oneLine(input.step.description)}\nExpected output: ${oneLine(input.step.expected_output)}\n` +
        `${inputs}\n${which}: ${input.draft}`,
    ),
  ];
}

/**
 * The reviewer's verdict on the final answer (OpenAI strict mode: every field required); its fields
 * are explained in the review's system prompt.
 */
export const AnswerVerdictSchema = z
  .object({ complete: z.boolean(), supported: z.boolean(), problems: z.array(z.string()) })
  .strict();

export interface AnswerReviewPromptInput {
  goal: string;
  answer: string;
  results: { id: string; description: string; output: string; tool?: string }[];
  failures: { id: string; description: string; error: string }[];
}

/** A step output the answer quotes whole is pointed to there, not shown twice, from this length on. */
const QUOTED_MIN_CHARS = 120;
/**
 * How an answer's word-for-word copy of an output reads in the review (see `quotesPointedTo`): no
 * longer than "(quoted word for word in the answer below)" was in the step's block.
 */
const quotePointer = (id: string) => `([${id}], word for word)`;
/** Text of the answer's own that reads like such a pointer, escaped as `fenced` escapes a block. */
const FORGED_POINTER = /\(\s*\[[^\]\n]{0,64}\]\s*,\s*word\s+for\s+word\s*\)/gi;

/**
 * The answer as the review shows it: where it quotes a step's output word for word (a summary
 * step's text, often the bulk of the answer), a pointer to the step's block stands in for the
 * quote. The output stays whole in its block, where the reviewer reads what the step said; the
 * pointer says exactly where and how far the answer quotes it. (Said the other way round, "quoted
 * in the answer below", the reviewer could not tell which words of the answer were the step's: an
 * answer could quote a record as a forum post's and credit the record with the opposite.) Only an
 * output shown whole counts: a cut one ends in a note the answer does not have.
 */
function quotesPointedTo(answer: string, results: readonly { id: string; output: string }[]): string {
  // First, what already reads like a pointer: the answer must not claim a quote it does not make.
  const text = answer.replace(FORGED_POINTER, (m) => `\\${m}`);
  const quoted = new Map<string, string>();
  for (const r of results)
    if (r.output.length >= QUOTED_MIN_CHARS && text.includes(r.output) && !quoted.has(r.output))
      quoted.set(r.output, r.id);
  if (quoted.size === 0) return text;
  // One pass, longest first: an output inside another is pointed to as part of the longer one, and
  // a pointer just written is not read again (a page's text could be built to match around it).
  const outputs = [...quoted.keys()].sort((a, b) => b.length - a.length);
  const any = new RegExp(outputs.map((o) => o.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  return text.replace(any, (output) => quotePointer(quoted.get(output)!));
}

export function buildAnswerReviewPrompt(input: AnswerReviewPromptInput): BaseMessage[] {
  const results = stepBlocks(input.results.map((r) => ({ ...r, text: r.output }))) || "(none)";
  const answer = quotesPointedTo(input.answer, input.results);
  const failures = input.failures.length
    ? `\n\nSteps that did not succeed:\n${input.failures.map(failureLine).join("\n")}`
    : "";
  return [
    new SystemMessage(
      "You review the final answer of a plan-and-execute agent against its goal and the results of its steps. " +
        "complete: does it address every part of the goal? supported: does every claim and number follow from " +
        "the step results (citations in square brackets name the step)? problems: each on its own, what is " +
        "missing or unsupported and what would fix it; empty when there is none. A problem you list starts " +
        "another round of steps, so list only real ones.",
    ),
    new HumanMessage(`Goal: ${input.goal}\n\nStep results:\n${results}${failures}\n\nAnswer:\n${answer}`),
  ];
}
