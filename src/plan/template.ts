/**
 * `{{step_id.output}}` references inside step args. Pure functions over plain data.
 *
 * - A string that is exactly one reference takes the referenced value with its type.
 * - A reference embedded in a longer string is replaced by its text (objects as JSON).
 * - `.output.a.0.b` walks into objects and arrays.
 */

import { getById, hasId, STEP_ID_SOURCE, type StepIdMap } from "./ids.js";

export interface StepReference {
  stepId: string;
  /** Keys after `.output`, e.g. `["results", "0", "facts"]`. */
  path: string[];
  /** The reference as written, for error messages. */
  raw: string;
}

// The id is the step-id grammar itself, so every valid id can be referenced. It is matched whole
// (it stops at the dot), so `step_1` never matches inside `step_10`.
const REFERENCE_SOURCE = String.raw`\{\{\s*(${STEP_ID_SOURCE})\.output((?:\.[A-Za-z0-9_-]+)*)\s*\}\}`;
const REFERENCE = new RegExp(REFERENCE_SOURCE, "g");
const WHOLE_REFERENCE = new RegExp(String.raw`^\s*${REFERENCE_SOURCE}\s*$`);

export class TemplateError extends Error {
  override name = "TemplateError";
}

function toReference(match: RegExpMatchArray): StepReference {
  const path = (match[2] ?? "").split(".").filter((p) => p !== "");
  return { stepId: match[1] ?? "", path, raw: match[0].trim() };
}

/** Every reference in a value, walking nested objects and arrays. */
export function findReferences(value: unknown): StepReference[] {
  if (typeof value === "string") return [...value.matchAll(REFERENCE)].map(toReference);
  if (Array.isArray(value)) return value.flatMap(findReferences);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(findReferences);
  return [];
}

/** True when the string is exactly one reference (and so keeps the referenced value's type). */
export function isWholeReference(value: unknown): boolean {
  return typeof value === "string" && WHOLE_REFERENCE.test(value);
}

/** Walks `path` into `root`; throws a {@link TemplateError} naming the first missing key. */
export function lookupPath(root: unknown, path: readonly string[], raw: string): unknown {
  let current = root;
  for (const [i, key] of path.entries()) {
    const container = current;
    if (Array.isArray(container) && /^\d+$/.test(key) && Number(key) < container.length) {
      current = container[Number(key)];
    } else if (container !== null && typeof container === "object" && Object.hasOwn(container, key)) {
      current = (container as Record<string, unknown>)[key];
    } else {
      const at = ["output", ...path.slice(0, i)].join(".");
      throw new TemplateError(`${raw}: ${at} has no "${key}" (it is ${describe(container)})`);
    }
  }
  return current;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return "null";
  if (typeof value === "object") {
    const keys = Object.keys(value).slice(0, 8);
    return `an object with keys ${keys.join(", ") || "(none)"}`;
  }
  return `a ${typeof value}`;
}

function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function resolveOne(ref: StepReference, outputs: StepIdMap<unknown>): unknown {
  if (!hasId(outputs, ref.stepId)) {
    throw new TemplateError(`${ref.raw}: step "${ref.stepId}" has no output yet`);
  }
  return lookupPath(getById(outputs, ref.stepId), ref.path, ref.raw);
}

/**
 * Replaces every reference in `value` with the referenced output. `outputs` is keyed by step id:
 * a `Map`, or an object whose own keys only are read.
 *
 * @example
 * resolveReferences({ x: "{{step_1.output.n}}", s: "n={{step_1.output.n}}" }, { step_1: { n: 2 } })
 * // → { x: 2, s: "n=2" }
 */
export function resolveReferences<T>(value: T, outputs: StepIdMap<unknown>): T {
  return resolveValue(value, outputs) as T;
}

function resolveValue(value: unknown, outputs: StepIdMap<unknown>): unknown {
  if (typeof value === "string") {
    const whole = value.match(WHOLE_REFERENCE);
    if (whole) return resolveOne(toReference(whole), outputs);
    return value.replace(REFERENCE, (...m: string[]) =>
      stringify(resolveOne(toReference(m as unknown as RegExpMatchArray), outputs)),
    );
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, outputs));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, outputs)]));
  }
  return value;
}
