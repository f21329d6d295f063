import type { PlanTool } from "../tools/types.js";

/** Null, undefined, blank text, an empty array or an object with no keys: nothing to use downstream. */
export function isEmptyOutput(output: unknown, tool?: Pick<PlanTool, "isEmptyOutput">): boolean {
  if (output === null || output === undefined) return true;
  if (typeof output === "string") return output.trim() === "";
  if (typeof output === "number") return Number.isNaN(output);
  if (Array.isArray(output)) return output.length === 0;
  if (typeof output === "object" && Object.keys(output).length === 0) return true;
  return tool?.isEmptyOutput?.(output) ?? false;
}

export interface CheckVerdict {
  ok: boolean;
  reason: string;
}

/**
 * The deterministic checks every finished step gets, before any critic: an error (which includes
 * a timeout) or an empty output fails the step.
 */
export function deterministicVerdict(
  record: { error: string | null; output?: unknown },
  tool?: Pick<PlanTool, "isEmptyOutput">,
): CheckVerdict {
  if (record.error) return { ok: false, reason: record.error };
  if (isEmptyOutput(record.output, tool)) return { ok: false, reason: "the step produced an empty output" };
  return { ok: true, reason: "no error, non-empty output" };
}
