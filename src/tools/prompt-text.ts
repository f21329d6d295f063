/**
 * How a model reads a tool's output. A step's output stays as the tool returned it — in state, in
 * `{{step.output.path}}` references, in `show` and in Studio — but every prompt that carries it
 * (an `llm` step's inputs, the critic's, the synthesizer's, the answer review's, the replanner's)
 * shows this rendering instead of the output's JSON: the same facts, without the field names
 * repeated per item and the fields a reader does not use (ids, ranking scores).
 */
import type { Cell, LoadCsvOutput } from "./data-csv.js";
import type { SearchOutput } from "./search.js";
import type { PlanTool, StepInput } from "./types.js";

/** What a prompt needs of the tools: the one a step called, for how its output reads. */
export interface ToolLookup {
  get(name: string): Pick<PlanTool, "promptText" | "risk" | "usesModel"> | undefined;
}

/**
 * Where a line starts, as a model reads text: after any line break JavaScript knows (\n, \r,
 * U+2028, U+2029) and after a vertical tab, a form feed or a NEL, which tokenizers and renderers
 * also take for one. Then what may stand before a line's first word and leave it looking the same:
 * spaces, tabs, no-break spaces, and invisible format characters (a zero-width space, a byte-order
 * mark, a direction mark), which a page can put there to slip a section past a check of the
 * line's first character.
 */
const LINE_START = String.raw`(?<=^|[\n\r\v\f\u0085\u2028\u2029])`;
const LEAD = String.raw`[\t \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\p{Cf}]*`;

/**
 * A line that starts like a step's block in a prompt (`[step_3] …`): prompts list step outputs as
 * `[id] description` and the output below it, so an output (a web page, a file, a model's answer)
 * must not be able to open a block of its own there. Such a line is shown as `\[step_3] …`.
 */
const BLOCK_START = new RegExp(`${LINE_START}(?=${LEAD}\\[[A-Za-z][\\w-]{0,63}\\])`, "gu");

/**
 * A line that starts like a section of a prompt: a capitalised phrase and a colon, alone on its line
 * (`Answer:`, `Step results:`, `Failed steps:`) or before text (`Draft: …`, `Goal: …`), as every
 * prompt here marks its sections. An output shown in a prompt must not be able to open one: a web
 * page ending in `Answer:` and a made-up answer would put it where the answer review reads the
 * answer it judges. Such a line is shown as `\Answer:`. Keys a tool's rendering writes (`rowCount:`,
 * `results.0:`) start in lower case and are left alone. Letters are any script's (a Cyrillic `А`
 * reads as the Latin one), with their combining marks; a full-width colon is a colon.
 */
const SECTION_START = new RegExp(
  `${LINE_START}(?=${LEAD}\\p{Lu}[\\p{L}\\p{M}' ]{0,60}(?: \\([^)\\n]{0,40}\\))?[:\\uff1a](?:[ \\t]|$|[\\n\\r\\v\\f\\u0085\\u2028\\u2029]))`,
  "gu",
);

/**
 * A line that reads like one of `stepBlocks`' pointers back (`results.2: as [step_1] results.0`,
 * `(the same output as [step_1])`): a page must not be able to claim, in the prompt's own words,
 * that it says what a trusted step said.
 */
const POINTER_LINE = new RegExp(
  `${LINE_START}(?=${LEAD}(?:[A-Za-z_][\\w.-]{0,40}: as \\[|\\(the same output as \\[))`,
  "gu",
);

/**
 * Text from a step (a tool's output, a model's draft) as a prompt shows it: a line that starts like
 * a step's block, like a section of the prompt or like a pointer back to another step is escaped
 * with a backslash, so that the text cannot pass for the prompt's own structure (see
 * {@link BLOCK_START}, {@link SECTION_START}, {@link POINTER_LINE}).
 */
export function fenced(text: string): string {
  return text.replace(BLOCK_START, "\\").replace(SECTION_START, "\\").replace(POINTER_LINE, "\\");
}

/**
 * Text a prompt puts after a label on the label's own line (`Instructions: …`), fenced: its first
 * line does not start a line of the prompt, so only the lines after it are escaped.
 */
export function fencedAfterLabel(text: string): string {
  // A character before it makes its first line no line start; it is taken off again.
  return fenced(`.${text}`).slice(1);
}

/** Most characters of one step's output a prompt carries. */
export const OUTPUT_PROMPT_CHARS = 2_000;

/**
 * A step's output as prompt text: the tool's own rendering when it has one (`PlanTool.promptText`),
 * a string as it is, anything else as JSON; cut to `limit` characters, with how many were left out
 * said. A rendering that throws falls back to the JSON: an odd output must not stop the prompt.
 */
export function stepOutputText(
  output: unknown,
  tool?: Pick<PlanTool, "promptText">,
  limit = OUTPUT_PROMPT_CHARS,
): string {
  let text: string | undefined;
  if (typeof output === "string") text = output;
  else if (tool?.promptText && output !== null && output !== undefined) {
    try {
      const rendered: unknown = tool.promptText(output);
      // A rendering that returns no string (a plugin's slip) falls back to the JSON as well.
      text = typeof rendered === "string" ? rendered : undefined;
    } catch {
      text = undefined;
    }
  }
  text ??= output === undefined ? "(no output)" : JSON.stringify(output);
  return cutText(fenced(text), limit);
}

/**
 * `text` cut to `limit` characters, with how many were left out said: `…… (N more characters)`, the
 * note every prompt ends a cut text with (and {@link CUT_NOTE} recognises).
 */
export function cutText(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length - limit} more characters)` : text;
}

/** One step's output as a prompt lists it: `[id] description`, then the output as prompt text. */
export interface StepBlock {
  id: string;
  description: string;
  /** The output as prompt text (already rendered and cut, see `stepOutputText`). */
  text: string;
  /** The tool the step called: a line is pointed to only in a block of the same tool (see `stepBlocks`). */
  tool?: string;
}

/** A repeated line or output is pointed back to only when it is at least this long: a pointer costs about 25 characters. */
const REPEAT_MIN_CHARS = 60;
/** How an output that was cut ends (see `cutText` and `evidenceOf`). */
const CUT_NOTE = /\(\d+ (?:more )?characters(?:, taken up by [^)]*)?\)$/;

/** Most characters of a failed step's error a prompt carries: an error may quote a whole remote answer. */
const ERROR_PROMPT_CHARS = 1_000;

/** A failed step's error as a prompt shows it: cut to {@link ERROR_PROMPT_CHARS}, fenced after its label. */
export function errorText(error: string): string {
  return fencedAfterLabel(cutText(error, ERROR_PROMPT_CHARS));
}

/** A labelled line of an output: `results.2: …`, `note: …`. */
const LABELLED_LINE = /^([A-Za-z_][\w.-]{0,40}): (.+)$/;

/**
 * Step outputs as every prompt lists them, each under its `[id] description` header. What a
 * prompt would carry twice it points back to instead: an output the same as one listed above it
 * (`(the same output as [step_1])`), and a labelled line (`results.2: …`, a search result that an
 * earlier search also found) that a block above showed word for word (`results.2: as [step_1]
 * results.0`). Only lines shown whole are pointed to: a block cut short points to nothing it left
 * out. Searches that overlap (two queries about one company find the same report) are common, and
 * every prompt that lists the results (the step's, its critic's, the synthesizer's, the answer
 * review's, the replanner's) would otherwise pay for each repeat.
 *
 * A pointer must lead to that line and no other, read as the step it came from: so a line is
 * pointed to only where its label is the only one of its block (`note:` twice would leave the
 * reader to pick), and only in a block of the same tool. A search's lines are results its renderer
 * wrote, one a line; a web page's or a file's are whatever the page says, and a page that copied a
 * search result under words of its own ("the next line is fabricated") would otherwise be the only
 * place a later search showed it.
 */
export function stepBlocks(blocks: readonly StepBlock[]): string {
  const outputs = new Map<string, string>();
  const lines = new Map<string, string>();
  return blocks
    .map(({ id, description, text, tool }) => {
      const header = stepHeader(id, description);
      // A cut output is not said to be the same as another: two outputs cut to the same length may
      // differ in what was cut off.
      const whole = !CUT_NOTE.test(text);
      const same = whole && text.length >= REPEAT_MIN_CHARS ? outputs.get(text) : undefined;
      if (same) return `${header}\n(the same output as [${same}])`;
      if (whole) outputs.set(text, id);
      const labelled = text.split("\n").map((line) => {
        const match = LABELLED_LINE.exec(line);
        return match && match[2]!.length >= REPEAT_MIN_CHARS
          ? { line, label: match[1]!, content: match[2]! }
          : line;
      });
      const labels = new Map<string, number>();
      for (const l of labelled)
        if (typeof l !== "string") labels.set(l.label, (labels.get(l.label) ?? 0) + 1);
      const body = labelled.map((l) => {
        if (typeof l === "string") return l;
        const key = `${tool ?? ""}\u0000${l.content}`;
        const first = lines.get(key);
        if (first) return `${l.label}: as ${first}`;
        if (labels.get(l.label) === 1) lines.set(key, `[${id}] ${l.label}`);
        return l.line;
      });
      return `${header}\n${body.join("\n")}`;
    })
    .join("\n\n");
}

/**
 * A step's header line in a prompt: `[id] description`. The description is the planner's, which
 * the replanner writes after reading outputs: a line break in it would start a line of its own
 * (another block, a section), so it is kept on one line.
 */
export function stepHeader(id: string, description: string): string {
  return `[${id}] ${oneLine(description)}`;
}

/**
 * A failed step as a prompt lists it: its header, then its error. The error may carry a remote
 * tool's text (an MCP server's message, a web API's answer), so it is fenced like an output.
 */
export function failureLine(failure: { id: string; description: string; error: string }): string {
  return `${stepHeader(failure.id, failure.description)}: ${errorText(failure.error)}`;
}

/**
 * A dependency as a running step gets it, its `text` (the output rendered, uncut) worked out on
 * first read: most tools (a calculator, a data tool given rows by reference) never read it, and a
 * dependency may be a loaded table of 256 KB.
 */
export function withPromptText(input: StepInput, tools: ToolLookup): StepInput {
  if (input.text !== undefined) return input;
  let text: string | undefined;
  return Object.defineProperty({ ...input }, "text", {
    enumerable: true,
    get: () =>
      (text ??= stepOutputText(
        input.output,
        input.tool ? tools.get(input.tool) : undefined,
        Number.POSITIVE_INFINITY,
      )),
  });
}

/**
 * Search results, one line each: `results.N` (so that a reader can still name the path to one),
 * the title, the source, the text and the facts the text does not already state. Ids and scores
 * are left out.
 */
export function searchPromptText(output: SearchOutput): string {
  const query = oneLine(output.query);
  if (!output.results.length) return `search "${query}": no results`;
  const lines = output.results.map((r, i) => {
    const title = oneLine(r.title ?? "");
    const text = oneLine(r.text ?? "");
    const rawSource = oneLine(r.source ?? "");
    // A fact the text states in the same digits ("$60.92 billion" for 60.92) is said once.
    // Only the number whole counts: 5 is not stated by "2025", nor 1.5 by "11.5".
    const facts = Object.entries(r.facts ?? {}).filter(([, v]) => !statesNumber(text, v));
    const source = rawSource && rawSource !== title ? ` (${rawSource})` : "";
    return (
      `results.${i}: ${title}${source}: ${text}` +
      (facts.length ? ` facts: ${facts.map(([k, v]) => `${k}=${v}`).join(", ")}` : "")
    );
  });
  return [`search "${query}":`, ...lines].join("\n");
}

/** Whether `text` states `value` in the same digits, as a whole number (not inside a longer one). */
function statesNumber(text: string, value: unknown): boolean {
  const digits = String(value);
  if (!digits) return true;
  const escaped = digits.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\d.])${escaped}(?![\\d]|\\.\\d)`).test(text);
}

/**
 * Text from outside (a web page, a document) on one line: a line break in a result must not start
 * a line of the prompt, where it could pass for another result or another step's output.
 */
export function oneLine(text: string): string {
  // NEL (U+0085) is not \s in JavaScript, but a line break to a reader (see LINE_START).
  return text.replace(/[\s\u0085]+/g, " ").trim();
}

/**
 * A name from outside (a column, a key, a file path) as a line starts with it: written as JSON when
 * it would read as something else — a line break would start another line, leading spaces an
 * indented (nested) field, ": " a shorter key and a value, nothing at all no key.
 */
function name(text: string): string {
  return text === "" || /[\n\r\u0085\u2028\u2029]|: |^\s|\s$/.test(text) ? JSON.stringify(text) : text;
}

/** A cell as CSV: quoted when it holds a comma, a quote or a line break. */
function csvCell(value: Cell): string {
  if (value === null) return "";
  const text = String(value);
  // An empty string quoted: an empty cell is a null.
  if (text === "") return '""';
  // A line break inside a cell is written as \n: a row stays one line of the prompt.
  if (/[\n\r]/.test(text)) return JSON.stringify(text);
  return /[",]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A loaded table as its shape and its rows as CSV (the column names once, not per row). A prompt
 * that cuts it cuts whole rows' worth of text, and says how many characters were left out.
 */
export function tablePromptText(output: LoadCsvOutput): string {
  const kept = output.truncated ? ` (the first ${output.rowCount} of ${output.totalRows} rows kept)` : "";
  return [
    `${name(output.path)}: ${output.rowCount} rows, columns ${output.columns.map(name).join(", ")}${kept}. rows as CSV:`,
    output.columns.map((c) => csvCell(c)).join(","),
    ...output.rows.map((row) => output.columns.map((c) => csvCell(row[c] ?? null)).join(",")),
  ].join("\n");
}

type Primitive = string | number | boolean | null;

function isPrimitive(value: unknown): value is Primitive {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An object's primitive fields, with those of nested objects under dotted names; null if any is not. */
function flatRow(value: Record<string, unknown>, prefix = "", depth = 0): Record<string, Primitive> | null {
  // No prototype: a field named "__proto__" (JSON.parse makes one) is a column like any other,
  // where an object literal's setter would drop its value.
  const row = Object.create(null) as Record<string, Primitive>;
  for (const [key, field] of Object.entries(value)) {
    // A dotted key ("a.b") beside a nested object (a: { b }) would name the same column: one
    // value would be lost, so such records stay JSON.
    if (Object.hasOwn(row, `${prefix}${key}`)) return null;
    if (isPrimitive(field)) row[`${prefix}${key}`] = field;
    else if (isPlainObject(field) && depth < 2) {
      const nested = flatRow(field, `${prefix}${key}.`, depth + 1);
      if (!nested) return null;
      if (Object.keys(nested).some((k) => Object.hasOwn(row, k))) return null;
      Object.assign(row, nested);
    } else return null;
  }
  return row;
}

/** Rows with the same columns (at most 50): what a CSV table can carry without losing a value. */
function asTable(value: unknown[]): { columns: string[]; rows: Record<string, Primitive>[] } | null {
  if (value.length === 0 || !value.every(isPlainObject)) return null;
  const rows: Record<string, Primitive>[] = [];
  for (const item of value) {
    const row = flatRow(item);
    if (!row) return null;
    rows.push(row);
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return columns.length <= 50 ? { columns, rows } : null;
}

/**
 * An object whose fields are all like objects (the same fields, at least two, flattened as
 * `asTable` does): per-column statistics, per-group totals. A CSV table keyed by its first column
 * carries them without repeating each field name per entry.
 */
function asKeyedTable(
  value: Record<string, unknown>,
): { columns: string[]; rows: Record<string, Primitive>[] } | null {
  const entries = Object.values(value);
  const table = asTable(entries);
  if (!table || table.columns.length < 2) return null;
  // Like objects only: a field one entry lacks would read the same as a null.
  if (!table.rows.every((r) => Object.keys(r).length === table.columns.length)) return null;
  return table;
}

function scalar(value: Primitive): string {
  // NaN and ±Infinity as themselves: JSON would write them as null.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return typeof value === "string" && !/[\n\r]/.test(value) ? value : JSON.stringify(value);
}

function compactLines(value: unknown, indent: string): string[] {
  if (!isPlainObject(value)) return [`${indent}${JSON.stringify(value)}`];
  const lines: string[] = [];
  for (const [rawKey, field] of Object.entries(value)) {
    const key = name(rawKey);
    if (isPrimitive(field)) lines.push(`${indent}${key}: ${scalar(field)}`);
    else if (Array.isArray(field)) {
      const table = asTable(field);
      if (table) {
        lines.push(`${indent}${key} (${table.rows.length} rows, as CSV):`);
        lines.push(`${indent}${table.columns.map((c) => csvCell(c)).join(",")}`);
        for (const row of table.rows)
          lines.push(`${indent}${table.columns.map((c) => csvCell(row[c] ?? null)).join(",")}`);
      } else lines.push(`${indent}${key}: ${JSON.stringify(field)}`);
    } else if (isPlainObject(field)) {
      const keyed = asKeyedTable(field);
      if (keyed) {
        const keys = Object.keys(field);
        lines.push(`${indent}${key} (${keys.length} rows by key, as CSV):`);
        // The first column, the keys', has no name: its header cell is empty.
        lines.push(`${indent},${keyed.columns.map((c) => csvCell(c)).join(",")}`);
        keyed.rows.forEach((row, r) =>
          lines.push(
            `${indent}${[keys[r]!, ...keyed.columns.map((c) => row[c] ?? null)].map(csvCell).join(",")}`,
          ),
        );
      } else lines.push(`${indent}${key}:`, ...compactLines(field, `${indent}  `));
    } else lines.push(`${indent}${key}: ${JSON.stringify(field) ?? "null"}`);
  }
  return lines;
}

/**
 * JSON data as a model reads it cheaply: one `key: value` line per field (nested objects indented,
 * so a field's path can still be read off), a list of like objects as a CSV table whose header
 * names each column once — nested fields as dotted columns (`row.region`) — and an object of like
 * objects (statistics per column) as a table whose first column, unnamed, is each entry's key
 * (`numeric.units.mean` is row `units`, column `mean`). Nothing is left out.
 * A tool opts in with `promptText: compactText`; it suits tools that return records and
 * statistics, not tools whose output is asked to be JSON.
 */
export function compactText(value: unknown): string {
  if (Array.isArray(value)) {
    const table = asTable(value);
    if (table) return compactLines({ items: value }, "").join("\n");
  }
  return compactLines(value, "").join("\n");
}
