import MiniSearch from "minisearch";
import { z } from "zod";
import { STOPWORDS } from "./search.js";
import type { PlanTool } from "./types.js";

/**
 * How the planner sees the tools. Each tool is one compact signature line plus one line per
 * described argument, with no JSON-schema boilerplate (the tool list with a JSON schema per tool
 * was 2,538 of the planner's 2,741 system-prompt tokens for the demo's 13 tools). A large catalogue (MCP servers bring dozens of tools) is cut down to the tools relevant
 * to the goal; the others are listed by name only and stay usable: validation knows them, and a
 * refused plan's tools are shown in full in the repair round (see {@link ToolPromptOptions.include}).
 */
export interface ToolPromptOptions {
  /** What the plan is for: ranks the tools of a large catalogue. Without it every tool is shown in full. */
  goal?: string;
  /** Tools shown in full whatever their rank: e.g. the tools of a refused plan, for the repair round. */
  include?: Iterable<string>;
  /** Catalogues up to this size are shown in full. Default {@link FULL_CATALOGUE_MAX}. */
  fullCatalogueMax?: number;
  /** At most this many ranked tools of a larger catalogue are shown in full. Default {@link PRESELECT}. */
  preselect?: number;
  /**
   * Only the tools in `include` are shown in full, whatever the catalogue's size: for a reader who
   * judges steps already written (the plan search's value judge), not one who chooses tools.
   */
  onlyIncluded?: boolean;
}

/** Catalogues up to this size are shown whole; larger ones are cut down to what the goal needs. */
export const FULL_CATALOGUE_MAX = 12;
/** Ranked tools shown in full from a larger catalogue, besides the pinned ones. */
export const PRESELECT = 6;
/**
 * A ranked tool is shown in full only when it scores at least this share of the best match: a tool
 * that shares one common word with the goal ("larger" / "largest") is not worth its tokens.
 */
const MIN_RELATIVE_SCORE = 0.1;
/** Words of a goal that say nothing about which tool fits ("find" would pick find_anomalies, "per" group_by). */
const TASK_WORDS = new Set("find get give make show tell work use need want please using per".split(" "));

type Json = Record<string, unknown>;

/** The tools as prompt text: full signatures for the relevant ones, names for the rest. */
export function renderToolsForPrompt(tools: readonly PlanTool[], options: ToolPromptOptions = {}): string {
  const shown = selectTools(tools, options);
  const seen = new Map<string, string>();
  const full = tools.filter((t) => shown.has(t.name)).map((t) => renderSignature(t, seen));
  const rest = tools.filter((t) => !shown.has(t.name)).map((t) => t.name);
  if (rest.length === 0) return full.join("\n");
  return `${full.join("\n")}\nMore tools, by name only (use one if the goal needs it; a refused plan shows its arguments): ${rest.join(", ")}`;
}

/**
 * The names of the tools to show in full: every tool of a small catalogue; of a larger one the
 * pinned tools, the tools in `include`, and the few that best match the goal.
 */
export function selectTools(tools: readonly PlanTool[], options: ToolPromptOptions = {}): Set<string> {
  const all = new Set(tools.map((t) => t.name));
  if (options.onlyIncluded) return new Set([...(options.include ?? [])].filter((n) => all.has(n)));
  if (tools.length <= (options.fullCatalogueMax ?? FULL_CATALOGUE_MAX) || !options.goal?.trim()) return all;
  const chosen = new Set(tools.filter((t) => t.pinned).map((t) => t.name));
  const asks = asksFor(tools, termsOf(options.goal));
  const ranked = rankTools(tools, options.goal).filter((hit) => !chosen.has(hit.name) && asks(hit.name));
  const best = ranked[0]?.score ?? 0;
  for (const hit of ranked.slice(0, options.preselect ?? PRESELECT)) {
    if (hit.score >= best * MIN_RELATIVE_SCORE) chosen.add(hit.name);
  }
  for (const name of options.include ?? []) if (all.has(name)) chosen.add(name);
  return chosen;
}

/**
 * Whether the goal asks for what a tool with effects (MEDIUM or HIGH) does, where a read-only tool
 * (LOW) shares a word of its name: the goal has a word of the tool's name that no other tool's name
 * has ("delete" of delete_file, "write" of write_file). A goal about a file matches delete_file on
 * "file" and "workspace" as it matches read_file; delete_file's signature in every such planner
 * prompt would cost tokens and put a destructive tool before the planner for nothing. Such a tool
 * is still listed by name and may be used (a refused plan shows its arguments).
 *
 * A read-only tool, one whose name has no word of its own, and one no read-only tool shares a word
 * with are ranked as they match: tools an MCP server brings are HIGH unless the config gives them a
 * tier, and there HIGH says nothing about effects; held back, weather_current and weather_forecast
 * would both leave a weather goal's prompt, neither name having "weather" to itself.
 */
function asksFor(tools: readonly PlanTool[], goalTerms: ReadonlySet<string>): (name: string) => boolean {
  const words = new Map(tools.map((t) => [t.name, termsOf(nameWords(t.name))]));
  const count = new Map<string, number>();
  const readOnly = new Set<string>();
  for (const t of tools) {
    for (const w of words.get(t.name)!) {
      count.set(w, (count.get(w) ?? 0) + 1);
      if (t.risk === "LOW") readOnly.add(w);
    }
  }
  const byName = new Map(tools.map((t) => [t.name, t]));
  return (name) => {
    const tool = byName.get(name);
    if (!tool || tool.risk === "LOW") return true;
    const mine = [...words.get(name)!];
    if (!mine.some((w) => readOnly.has(w))) return true;
    const own = mine.filter((w) => count.get(w) === 1);
    return own.length === 0 || own.some((w) => goalTerms.has(w));
  };
}

/** A tool name's words: `delete_file` → "delete file", `sendEmail` → "send Email". */
function nameWords(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[^\p{L}\p{N}]+/gu, " ");
}

/** What separates words, for the ranking's index and for {@link termsOf} alike. */
const NON_WORD = /[^\p{L}\p{N}]+/u;

/** A text's terms as the ranking reads them (lower-cased, stopwords dropped, stemmed). */
function termsOf(text: string): Set<string> {
  const terms = new Set<string>();
  for (const word of text.split(NON_WORD)) {
    const term = processTerm(word);
    if (term) terms.add(term);
  }
  return terms;
}

/**
 * The tools that match `query`, best first, by BM25 over their names (boosted), descriptions and
 * argument descriptions. Tools that match nothing are left out.
 */
export function rankTools(tools: readonly PlanTool[], query: string): { name: string; score: number }[] {
  const index = new MiniSearch<{ name: string; words: string; text: string }>({
    idField: "name",
    fields: ["words", "text"],
    tokenize: (text) => text.split(NON_WORD),
    processTerm,
    searchOptions: {
      boost: { words: 2 },
      prefix: (term) => term.length >= 5,
      fuzzy: (term) => (term.length >= 7 ? 0.2 : false),
      combineWith: "OR",
    },
  });
  index.addAll(
    tools.map((t) => ({
      name: t.name,
      words: t.name,
      text: [t.description, ...argLines(t).map((a) => a.description)].join(" "),
    })),
  );
  return index.search(query).map((hit) => ({ name: String(hit.id), score: hit.score }));
}

/** Lower-cased, stopwords dropped, and a crude stem, so that "summaries" meets "summary" and "analyse" "analysis". */
function processTerm(term: string): string | null {
  const t = term.toLowerCase();
  if (t === "" || STOPWORDS.has(t) || TASK_WORDS.has(t)) return null;
  return stem(t);
}

/**
 * Longest first where one ends another: -ize and -ise are stripped, so -izing and -ization must be
 * too, or "summarizing" ("summariz") would no longer meet summarize ("summar").
 */
const SUFFIXES = [
  "izations",
  "isations",
  "ization",
  "isation",
  "izing",
  "ising",
  "ations",
  "ation",
  "ings",
  "ing",
  "ies",
  "ied",
  "izes",
  "ized",
  "ises",
  "ised",
  "es",
  "ed",
  "is",
  "s",
  "y",
  "ize",
  "ise",
  "e",
];

/**
 * Drops the first of {@link SUFFIXES} that leaves at least four letters ("analysis" → "analys"); the
 * American -yze forms first become the British -yse ones ("analyze" → "analyse" → "analys").
 */
export function stem(raw: string): string {
  const word = raw.replace(/yz(e|es|ed|ing)$/, "ys$1");
  for (const suffix of SUFFIXES) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 4 && !word.endsWith("ss")) {
      return word.slice(0, -suffix.length);
    }
  }
  return word;
}

/**
 * One tool as prompt text:
 *
 *     - search(query: string, limit?: integer = 3) [LOW]: Full-text search over …
 *         query: Keywords to search for, e.g. 'AMD revenue 2024'.
 *         limit: How many results to return, best first (1-10).
 */
export function renderSignature(tool: PlanTool, seen = new Map<string, string>()): string {
  const args = argLines(tool);
  const params = args.map((a) => `${a.name}${a.optional ? "?" : ""}: ${a.type}${a.default ?? ""}`);
  const head = `- ${tool.name}(${params.join(", ")}) [${tool.risk}]: ${tool.description}`;
  const lines: string[] = [];
  // An argument described word for word as in an earlier tool (path, rows, …) points there instead.
  const repeated = new Map<string, string[]>();
  for (const arg of args.filter((a) => a.description)) {
    const key = `${arg.name}\u0000${arg.description}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, tool.name);
      lines.push(`    ${arg.name}: ${arg.description}`);
    } else repeated.set(first, [...(repeated.get(first) ?? []), arg.name]);
  }
  for (const [first, names] of repeated) lines.push(`    ${names.join(", ")}: as for ${first}.`);
  return [head, ...lines].join("\n");
}

interface ArgLine {
  name: string;
  type: string;
  optional: boolean;
  default?: string;
  description: string;
}

function argLines(tool: PlanTool): ArgLine[] {
  const schema = toJsonSchema(tool);
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, prop]) => ({
    name,
    type: typeOf(prop),
    optional: !required.has(name),
    ...("default" in prop ? { default: ` = ${JSON.stringify(prop.default)}` } : {}),
    description: typeof prop.description === "string" ? prop.description : "",
  }));
}

const schemaCache = new WeakMap<object, Json>();

function toJsonSchema(tool: PlanTool): Json {
  let schema = schemaCache.get(tool.schema);
  if (!schema) {
    schema = z.toJSONSchema(tool.schema, { io: "input", unrepresentable: "any" }) as Json;
    schemaCache.set(tool.schema, schema);
  }
  return schema;
}

/** A TypeScript-like type for a JSON schema: `string`, `integer[]`, `"a" | "b"`, `{ x: number }`. */
export function typeOf(schema: Json, depth = 0): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  const union = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (Array.isArray(union)) return [...new Set(union.map((s) => typeOf(s, depth)))].join(" | ");
  const type = schema.type;
  if (Array.isArray(type)) return type.map((t) => typeOf({ ...schema, type: t }, depth)).join(" | ");
  switch (type) {
    case "array": {
      const item = typeOf((schema.items ?? {}) as Json, depth + 1);
      return item.includes(" ") && !item.startsWith("{") ? `(${item})[]` : `${item}[]`;
    }
    case "object": {
      const props = schema.properties as Record<string, Json> | undefined;
      if (!props || depth >= 2) return "object";
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const fields = Object.entries(props).map(
        ([k, v]) => `${k}${required.has(k) ? "" : "?"}: ${typeOf(v, depth + 1)}`,
      );
      return `{ ${fields.join(", ")} }`;
    }
    case "string":
      return typeof schema.format === "string" ? `string (${schema.format})` : "string";
    case undefined:
      return "any";
    default:
      return String(type);
  }
}
