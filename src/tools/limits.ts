/**
 * Output caps of the built-in tools. A step's output goes into the checkpoint, into later steps'
 * args and prompts, and into the synthesizer's prompt, so each tool bounds what it returns and
 * says when it cut something: text gets a "[truncated: N of M characters]" notice, lists and
 * bodies a `truncated` flag with the totals.
 */

/** `text`, or its first `max` characters followed by a notice saying how much was cut. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [truncated: ${max} of ${text.length} characters]`;
}

/** Longest text one search result (corpus or web) carries. */
export const MAX_RESULT_TEXT_CHARS = 4_000;
/** Longest title one search result carries. */
export const MAX_RESULT_TITLE_CHARS = 500;
/** Longest answer of an `llm` step. */
export const MAX_LLM_ANSWER_CHARS = 50_000;
/** Longest summary of a `summarize` step. */
export const MAX_SUMMARY_CHARS = 20_000;
