/**
 * How an LLM step reports its confidence while the run gates on it (`minConfidence`): the model
 * ends its answer with a line `CONFIDENCE: <0–1>`, which the tool takes off the output and reports.
 */
export const CONFIDENCE_REQUEST =
  "After your answer, on a last line of its own, write CONFIDENCE: followed by a number from 0 to 1: how sure " +
  "you are that the answer is correct and complete (1: certain; below 0.5: a person should check it).";

const CONFIDENCE_LINE = /\n?[ \t]*\**CONFIDENCE\**\s*[:=]\s*\**([^\n*]*)\**\s*$/i;

/**
 * Splits a `CONFIDENCE: x` last line off a model's answer. `raw` is what followed the colon (a
 * number when it reads as one), or undefined when there was no such line: the run counts that as
 * low and says so.
 *
 * @example
 * takeConfidence("Revenue rose 12%.\nCONFIDENCE: 0.8"); // { text: "Revenue rose 12%.", raw: 0.8 }
 */
export function takeConfidence(text: string): { text: string; raw: unknown } {
  const match = CONFIDENCE_LINE.exec(text);
  if (!match) return { text, raw: undefined };
  const given = (match[1] ?? "").trim();
  const number = Number(given);
  return {
    text: text.slice(0, match.index).trimEnd(),
    raw: given !== "" && Number.isFinite(number) ? number : given,
  };
}
