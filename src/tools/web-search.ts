import type { StructuredToolInterface } from "@langchain/core/tools";
import { z } from "zod";
import { clipText, MAX_RESULT_TEXT_CHARS, MAX_RESULT_TITLE_CHARS } from "./limits.js";
import { searchPromptText } from "./prompt-text.js";
import { searchArgsSchema, type SearchOutput, type SearchResult } from "./search.js";
import { TransientToolError, type PlanTool } from "./types.js";

export interface WebSearchOptions {
  /** The Tavily API key (from `TAVILY_API_KEY` via `readEnv()`); never read from the environment here. */
  apiKey: string;
  /** Another Tavily endpoint (a proxy, or a local fake in tests). */
  apiBaseUrl?: string;
  /**
   * The LangChain search tool to call instead of Tavily (tests, or another provider whose tool
   * answers Tavily-shaped `{ results: [{ title, url, content, score }] }`). Called with `{ query }`.
   */
  client?: StructuredToolInterface;
  timeoutMs?: number;
}

// Web queries are kept shorter than corpus queries (400 characters), as the web tool always did.
const WebSearchArgs = searchArgsSchema(400, "What to search the web for, e.g. 'AMD revenue 2024'.");

type WebSearchArgs = z.output<typeof WebSearchArgs>;

interface ProviderResult {
  title?: unknown;
  url?: unknown;
  content?: unknown;
  score?: unknown;
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** One provider hit in the shape of the corpus search's results (`facts` is empty: read numbers with an LLM step). */
function toResult(hit: ProviderResult): SearchResult {
  const url = text(hit.url);
  const score = typeof hit.score === "number" && Number.isFinite(hit.score) ? hit.score : 0;
  return {
    id: url,
    title: clipText(text(hit.title), MAX_RESULT_TITLE_CHARS),
    text: clipText(text(hit.content), MAX_RESULT_TEXT_CHARS),
    source: url,
    score: Math.round(score * 1000) / 1000,
    facts: {},
  };
}

/** Whether an error message of the provider names a failure worth another attempt. */
function isTransientMessage(message: string): boolean {
  const status = message.match(/\b(?:Error|HTTP|status)\s*:?\s*(\d{3})\b/i)?.[1];
  if (status) {
    const code = Number(status);
    return code === 408 || code === 429 || code >= 500;
  }
  return /fetch failed|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ECONNREFUSED|socket|network|timed? ?out/i.test(message);
}

/** Maps the search tool's answer (an object or its JSON text) to `{ query, results }`. */
export function mapWebSearchOutput(query: string, raw: unknown, limit: number): SearchOutput {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      throw new Error(`web search answered text that is not JSON: ${raw.slice(0, 200)}`);
    }
  }
  const answer = (value ?? {}) as { results?: unknown; error?: unknown };
  if (typeof answer.error === "string") {
    // Tavily's tool reports "no results" as an error value; that is an empty answer, not a failure.
    if (/no search results/i.test(answer.error)) return { query, results: [] };
    const message = `web search failed: ${answer.error}`;
    throw isTransientMessage(answer.error) ? new TransientToolError(message) : new Error(message);
  }
  if (!Array.isArray(answer.results)) throw new Error("web search answered without a results list");
  const results = (answer.results as ProviderResult[]).slice(0, limit).map(toResult);
  return { query, results };
}

/**
 * `search` over the web through Tavily's LangChain integration (`@langchain/tavily`), answering
 * the same `{ query, results: [{ id, title, text, source, score, facts }] }` as the corpus search.
 */
export function createWebSearchTool(options: WebSearchOptions): PlanTool<WebSearchArgs> {
  // Without a key, Tavily's wrapper would fall back to reading TAVILY_API_KEY itself.
  if (!options.client && !options.apiKey.trim()) throw new Error("createWebSearchTool needs an apiKey");
  // Tavily's client is loaded on the first search, not with the tool suite.
  const clientFor = async (limit: number): Promise<StructuredToolInterface> => {
    if (options.client) return options.client;
    const { TavilySearch } = await import("@langchain/tavily");
    return new TavilySearch({
      tavilyApiKey: options.apiKey,
      maxResults: limit,
      ...(options.apiBaseUrl ? { apiBaseUrl: options.apiBaseUrl } : {}),
    });
  };
  return {
    name: "search",
    description:
      "Search the web (Tavily). Each result has id and source (the page URL), title, text (an extract of the " +
      "page), score and facts (always empty for web results: extract the numbers you need with an llm step).",
    schema: WebSearchArgs,
    risk: "LOW",
    timeoutMs: options.timeoutMs ?? 20_000,
    isEmptyOutput: (output) => (output as SearchOutput).results.length === 0,
    promptText: (output) => searchPromptText(output as SearchOutput),
    async run({ query, limit }, ctx): Promise<SearchOutput> {
      let raw: unknown;
      try {
        raw = await (await clientFor(limit)).invoke({ query }, { signal: ctx.signal });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        const message = err instanceof Error ? err.message : String(err);
        if (isTransientMessage(message)) throw new TransientToolError(`web search failed: ${message}`);
        throw err;
      }
      return mapWebSearchOutput(query, raw, limit);
    },
  };
}
