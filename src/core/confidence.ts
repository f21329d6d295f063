import { z } from "zod";

/**
 * A confidence as the run keeps it: `value` in 0–1, and a note when what was reported could not be
 * used (missing, not a number, outside 0–1) — such a confidence counts as 0, i.e. low, and says so.
 */
export const ConfidenceSchema = z.object({
  value: z.number(),
  note: z.string().nullable(),
});
export type Confidence = z.output<typeof ConfidenceSchema>;

/**
 * A reported confidence as a number in 0–1. Missing, not a number or outside 0–1 counts as 0
 * (below any `minConfidence`), and the note names who reported what.
 *
 * @example
 * normaliseConfidence(0.8, "the step"); // { value: 0.8, note: null }
 * normaliseConfidence(undefined, "the critic"); // { value: 0, note: "the critic reported no confidence; treated as low" }
 */
export function normaliseConfidence(raw: unknown, who: string): Confidence {
  if (typeof raw === "string" && raw.trim() !== "" && Number.isFinite(Number(raw))) raw = Number(raw);
  if (typeof raw === "number" && Number.isFinite(raw) && raw >= 0 && raw <= 1)
    return { value: raw, note: null };
  if (raw === undefined || raw === null)
    return { value: 0, note: `${who} reported no confidence; treated as low` };
  if (typeof raw === "number")
    return { value: 0, note: `${who} reported a confidence of ${raw}, outside 0–1; treated as low` };
  return {
    value: 0,
    note: `${who} reported a confidence that is not a number (${JSON.stringify(raw).slice(0, 40)}); treated as low`,
  };
}
