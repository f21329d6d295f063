import { readFileSync } from "node:fs";
import MiniSearch from "minisearch";
import { z } from "zod";
import { clipText, MAX_RESULT_TEXT_CHARS, MAX_RESULT_TITLE_CHARS } from "./limits.js";
import { searchPromptText } from "./prompt-text.js";
import type { PlanTool } from "./types.js";

/** One document of a search corpus; `facts` holds the numbers its text states, by name. */
export interface CorpusDoc {
  id: string;
  title: string;
  text: string;
  source: string;
  facts: Record<string, number>;
}

export interface SearchResult {
  id: string;
  title: string;
  text: string;
  source: string;
  /** BM25 relevance, rounded to 3 decimals. */
  score: number;
  facts: Record<string, number>;
}

export interface SearchOutput {
  query: string;
  results: SearchResult[];
}

/**
 * Args of every `search` tool (bundled corpus or web): the planner sees one shape whichever
 * backend is configured. Backends differ only in how long a query they accept.
 */
export function searchArgsSchema(maxQueryChars: number, queryHint: string) {
  return z
    .object({
      query: z.string().min(1).max(maxQueryChars).describe(queryHint),
      limit: z
        .number()
        .int()
        .min(1)
        .max(10)
        .default(3)
        .describe("How many results to return, best first (1-10)."),
    })
    .strict();
}

const SearchArgs = searchArgsSchema(500, "Keywords to search for, e.g. 'AMD revenue 2024'.");

type SearchArgs = z.output<typeof SearchArgs>;

/** Words too common to rank by (shared with the planner's tool ranking). */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a about an and are as at be by did do does for from had has have how in is it its many much of on or s " +
    "than that the their there this to was were what when where which who with"
  ).split(" "),
);

/** Words; digit groups are joined first, so that "150,000" and "150000" give the same term. */
function tokenize(text: string): string[] {
  return text.replace(/(?<=\d),(?=\d{3}(?!\d))/g, "").split(/[^\p{L}\p{N}.]+/u);
}

/** Lower-cases and drops stopwords and the dots of sentence ends ("2024." → "2024", "60.92" stays). */
function processTerm(term: string): string | null {
  const t = term.toLowerCase().replace(/^\.+|\.+$/g, "");
  return t === "" || STOPWORDS.has(t) ? null : t;
}

interface Index {
  search: MiniSearch<CorpusDoc>;
  /** Results are returned from here rather than from MiniSearch's stored fields, which are untyped. */
  byId: Map<string, CorpusDoc>;
}

function buildIndex(docs: CorpusDoc[]): Index {
  const search = new MiniSearch<CorpusDoc>({
    fields: ["title", "text"],
    tokenize,
    processTerm,
    searchOptions: { boost: { title: 2 }, fuzzy: 0.1, combineWith: "OR" },
  });
  search.addAll(docs);
  return { search, byId: new Map(docs.map((doc) => [doc.id, doc])) };
}

function toResult(doc: CorpusDoc, score: number): SearchResult {
  const { id, title, text, source, facts } = doc;
  return {
    id,
    title: clipText(title, MAX_RESULT_TITLE_CHARS),
    text: clipText(text, MAX_RESULT_TEXT_CHARS),
    source,
    score: Math.round(score * 1000) / 1000,
    facts,
  };
}

function loadBundledCorpus(): CorpusDoc[] {
  return JSON.parse(readFileSync(new URL("./corpus.json", import.meta.url), "utf8")) as CorpusDoc[];
}

function makeSearchTool(loadDocs: () => CorpusDoc[]): PlanTool<SearchArgs> {
  let index: Index | undefined;
  return {
    name: "search",
    description:
      "Full-text (BM25) search over a bundled corpus of short factual documents: company revenues, US federal, " +
      "FICA and state income taxes on a salary, city populations, land areas, rents and sales taxes. Each result " +
      "has id, title, text, source, score and `facts`, an object of named numbers (e.g. results.0.facts.population).",
    schema: SearchArgs,
    risk: "LOW",
    timeoutMs: 10_000,
    isEmptyOutput: (output) => (output as SearchOutput).results.length === 0,
    promptText: (output) => searchPromptText(output as SearchOutput),
    async run({ query, limit }): Promise<SearchOutput> {
      index ??= buildIndex(loadDocs());
      const { search, byId } = index;
      const results = search
        .search(query)
        .slice(0, limit)
        .flatMap((hit) => {
          const doc = byId.get(String(hit.id));
          return doc ? [toResult(doc, hit.score)] : [];
        });
      return { query, results };
    },
  };
}

/** A search tool over `docs` instead of the bundled corpus (tests, custom deployments). */
export function createSearchTool(docs: CorpusDoc[]): PlanTool<SearchArgs> {
  return makeSearchTool(() => docs);
}

/** Search over the bundled corpus; the corpus is read and indexed on first use. */
export const searchTool: PlanTool<SearchArgs> = makeSearchTool(loadBundledCorpus);
