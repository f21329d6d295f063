/**
 * Step ids: one grammar for plans and for `{{step_id.output}}` references, and maps keyed by
 * step id that no id can poison. Pure, no LangGraph.
 */

/** Longest step id. */
export const MAX_STEP_ID_LENGTH = 64;

/**
 * The step-id grammar, unanchored, for embedding in other patterns: a letter, then letters,
 * digits, `_` and `-`. The template syntax in `template.ts` is built from it, so every valid id
 * can be referenced and no reference can name an id that validation would refuse.
 */
export const STEP_ID_SOURCE = `[A-Za-z][A-Za-z0-9_-]{0,${MAX_STEP_ID_LENGTH - 1}}`;

/** A whole valid step id: `^[A-Za-z][A-Za-z0-9_-]{0,63}$`. */
export const STEP_ID_PATTERN = new RegExp(`^${STEP_ID_SOURCE}$`);

/**
 * Names refused as step ids although the grammar allows most of them: the properties every
 * object inherits (`constructor`, `toString`, `valueOf`, `hasOwnProperty`, …, and `__proto__`,
 * which the grammar already excludes) and `prototype`. A step id becomes an object key in the
 * checkpointed state and in tool-facing data, where such a name reads or replaces something else.
 */
export const RESERVED_STEP_IDS: ReadonlySet<string> = new Set([
  "__proto__",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
  "constructor",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "toString",
  "valueOf",
  "prototype",
]);

const GRAMMAR = `ids start with a letter and use letters, digits, _ and - (at most ${MAX_STEP_ID_LENGTH})`;

/** An id (or any model-written text) as a message shows it: quoted, and cut when long. */
export function shownId(id: string, max = MAX_STEP_ID_LENGTH + 16): string {
  return JSON.stringify(id.length > max ? `${id.slice(0, max)}…` : id);
}

/** A step id where a message starts with it: as it is, or quoted and cut when too long to repeat. */
export function idLabel(id: string): string {
  return id.length > MAX_STEP_ID_LENGTH + 16 ? shownId(id) : id;
}

/**
 * Why `id` cannot be a step id, phrased for the planner's repair prompt (`what` names the field:
 * "step id", "depends_on entry"); undefined when it can.
 *
 * @example
 * stepIdProblem("__proto__");
 * // 'step id "__proto__" is not allowed: ids start with a letter and use letters, digits, _ and - (at most 64)'
 */
export function stepIdProblem(id: string, what = "step id"): string | undefined {
  if (!STEP_ID_PATTERN.test(id)) {
    const length = id.length > MAX_STEP_ID_LENGTH ? `; it has ${id.length} characters` : "";
    return `${what} ${shownId(id)} is not allowed: ${GRAMMAR}${length}`;
  }
  if (RESERVED_STEP_IDS.has(id)) {
    return `${what} ${shownId(id)} is not allowed: it is a reserved name; choose another id such as step_1`;
  }
  return undefined;
}

/** True for a string that is a usable step id. */
export function isStepId(id: string): boolean {
  return stepIdProblem(id) === undefined;
}

/** Values keyed by step id: a `Map`, or a plain or null-prototype object (only own keys count). */
export type StepIdMap<T> = ReadonlyMap<string, T> | Readonly<Record<string, T>>;

/** The value for `id`, never an inherited property (`constructor`, `__proto__`, …). */
export function getById<T>(map: StepIdMap<T>, id: string): T | undefined {
  if (map instanceof Map) return map.get(id);
  const record = map as Readonly<Record<string, T>>;
  return Object.hasOwn(record, id) ? record[id] : undefined;
}

/** Whether `id` has a value of its own in `map`. */
export function hasId(map: StepIdMap<unknown>, id: string): boolean {
  return map instanceof Map ? map.has(id) : Object.hasOwn(map, id);
}

/** `map` as a `Map` (own enumerable keys of an object). */
export function toIdMap<T>(map: StepIdMap<T>): Map<string, T> {
  return map instanceof Map ? new Map(map) : new Map(Object.entries(map as Readonly<Record<string, T>>));
}

/**
 * An object keyed by step id with no prototype, so that no key reads or replaces an inherited
 * property (`"__proto__"` becomes an ordinary own key). It serialises as a plain JSON object;
 * after a checkpoint round trip it comes back as a plain object, so read it with {@link getById}.
 */
export function idRecord<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  for (const [id, value] of entries) record[id] = value;
  return record;
}
