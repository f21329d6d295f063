/**
 * The deterministic half of the answer review: what can be checked in an answer without a model.
 *
 * - Citations: every `[step_id]` the answer cites is a step of the run that succeeded.
 * - Numbers: every number the answer states was produced by a step that succeeded (or is in the
 *   goal). Formatting may differ (`1,234` and `1234`), and a number may be rounded to the precision
 *   it is shown with (`2.36` for 2.3622…); `52%` matches a share of 0.52, and `60.9 billion` matches
 *   60,920,000,000. Small whole numbers (0–10) are not checked: counts and ordinals in prose
 *   ("3 rows", "two of 5 steps") are too often derived to be told apart from made-up figures.
 */

import { getById, hasId, STEP_ID_PATTERN } from "../plan/ids.js";

export interface AnswerCheckInput {
  answer: string;
  goal: string;
  /** Every step record of the run, by id: its status and output. */
  steps: Readonly<Record<string, { status: string; output?: unknown; error?: string | null }>>;
}

/** Whole numbers up to this are not checked (see above). */
const SMALL_INTEGER = 10;

/** A number as it appears in prose: optional thousands separators, optional decimals, an optional scale. */
const ANSWER_NUMBER =
  /(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w]|[.,]\d)(?:\s*(%|percent\b|per cent\b|billion\b|bn\b|million\b|thousand\b))?/gi;

/** Any number in a step's text output (looser: "z9.68", "2024-08" count too). */
const SOURCE_NUMBER = /\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?/g;

/** A bracketed citation: one or more step ids, separated by commas or spaces. */
const CITATION = /\[([^\][]{1,300})\](?!\()/g;

export interface NumberMention {
  text: string;
  value: number;
  decimals: number;
  scale: number[];
}

/** The problems found, each a sentence the replanner and the synthesizer can act on. */
export function checkAnswer(input: AnswerCheckInput): string[] {
  return [...checkCitations(input), ...checkNumbers(input)];
}

/** Cited step ids that are no step of the run, or whose step did not succeed. */
export function checkCitations(input: AnswerCheckInput): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const id of citedIds(input.answer, input.steps)) {
    if (seen.has(id)) continue;
    seen.add(id);
    const record = getById(input.steps, id);
    if (!record) {
      problems.push(`The answer cites [${id}], which is not a step of this run.`);
    } else if (record.status !== "succeeded") {
      const why = record.error ? `: ${record.error.slice(0, 200)}` : "";
      problems.push(
        `The answer cites [${id}], which did not succeed (${record.status}${why}); it cannot support a claim.`,
      );
    }
  }
  return problems;
}

/**
 * The step ids an answer cites. A bracket counts as a citation when everything in it is a step id of
 * the run, or looks like one (a valid id with a digit or an underscore, such as `step_9`): `[sic]` or
 * `[1]` are not citations, and nor is a markdown link text.
 */
export function citedIds(answer: string, steps: Readonly<Record<string, unknown>>): string[] {
  const ids: string[] = [];
  for (const match of answer.matchAll(CITATION)) {
    const parts = (match[1] as string).split(/[\s,;]+/).filter(Boolean);
    const known = (p: string) => hasId(steps, p);
    const looksLikeId = (p: string) => STEP_ID_PATTERN.test(p) && (/\d|_/.test(p) || known(p));
    if (parts.length > 0 && parts.every(looksLikeId)) ids.push(...parts);
  }
  return ids;
}

/** Numbers the answer states that no succeeded step produced and the goal does not contain. */
export function checkNumbers(input: AnswerCheckInput): string[] {
  const sources = new Set<number>();
  const addText = (text: string) => {
    for (const m of text.matchAll(SOURCE_NUMBER)) sources.add(Number(m[0].replace(/,/g, "")));
  };
  const walk = (value: unknown, depth: number) => {
    if (depth > 20) return;
    if (typeof value === "number" && Number.isFinite(value)) sources.add(Math.abs(value));
    else if (typeof value === "string") addText(value);
    else if (Array.isArray(value)) for (const v of value) walk(v, depth + 1);
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        addText(k);
        walk(v, depth + 1);
      }
    }
  };
  for (const record of Object.values(input.steps)) if (record.status === "succeeded") walk(record.output, 0);
  addText(input.goal);

  const problems: string[] = [];
  const reported = new Set<string>();
  for (const mention of numbersIn(stripCitations(input.answer))) {
    if (mention.decimals === 0 && mention.value <= SMALL_INTEGER) continue;
    if (supported(mention, sources)) continue;
    if (reported.has(mention.text)) continue;
    reported.add(mention.text);
    problems.push(
      `The answer states "${mention.text}", but no step produced that number: take it from a step's result or leave it out.`,
    );
  }
  return problems;
}

/** The numbers an answer states, with the precision they are shown at and the scales they may stand for. */
export function numbersIn(text: string): NumberMention[] {
  const mentions: NumberMention[] = [];
  for (const m of text.matchAll(ANSWER_NUMBER)) {
    const whole = (m[1] as string).replace(/,/g, "");
    const decimals = m[2]?.length ?? 0;
    const value = Number(m[2] ? `${whole}.${m[2]}` : whole);
    const unit = m[3]?.toLowerCase();
    const scale = [1];
    if (unit === "%" || unit?.startsWith("per")) scale.push(100);
    else if (unit === "billion" || unit === "bn") scale.push(1e-9);
    else if (unit === "million") scale.push(1e-6);
    else if (unit === "thousand") scale.push(1e-3);
    mentions.push({ text: m[0].trim(), value, decimals, scale });
  }
  return mentions;
}

/** Whether some source number, scaled as the mention allows and rounded to its precision, is the mention. */
function supported(mention: NumberMention, sources: ReadonlySet<number>): boolean {
  const tolerance = 10 ** -(mention.decimals + 6);
  for (const source of sources) {
    for (const factor of mention.scale) {
      const value = source * factor;
      if (Math.abs(value - mention.value) <= tolerance * Math.max(1, mention.value)) return true;
      if (
        Math.abs(roundTo(value, mention.decimals) - mention.value) <=
        tolerance * Math.max(1, mention.value)
      )
        return true;
    }
  }
  return false;
}

function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function stripCitations(answer: string): string {
  return answer.replace(CITATION, (whole, inner: string) =>
    inner.split(/[\s,;]+/).every((p) => STEP_ID_PATTERN.test(p)) ? " " : whole,
  );
}
