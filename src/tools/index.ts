import type { EnvConfig } from "../config/env.js";
import { calculatorTool, createCalculatorTool, type CalculatorOptions } from "./calculator.js";
import { createDataTools, type DataToolOptions } from "./data.js";
import { createFileTools, DEFAULT_WORKSPACE, type FileToolOptions } from "./files.js";
import { createSendEmailTool, type SendEmailOptions } from "./email.js";
import { createHttpGetTool, type HttpGetOptions } from "./http.js";
import { fromLangChainTool } from "./langchain.js";
import { llmTool } from "./llm.js";
import { ToolRegistry } from "./registry.js";
import { createSearchTool, searchTool } from "./search.js";
import { summarizeTool } from "./summarize.js";
import type { PlanTool, RiskTier } from "./types.js";
import { createWebSearchTool } from "./web-search.js";

export {
  calculatorTool,
  createCalculatorTool,
  createDataTools,
  createFileTools,
  createHttpGetTool,
  createSearchTool,
  createSendEmailTool,
  createWebSearchTool,
  DEFAULT_WORKSPACE,
  fromLangChainTool,
  llmTool,
  searchTool,
  summarizeTool,
  ToolRegistry,
};
export type { CalculatorOptions, PlanTool, RiskTier, SendEmailOptions };

export interface ToolSuiteOptions {
  /** The folder the file and data tools are confined to. Default `.plan-execute/workspace`. */
  workspace?: string;
  /** Hosts http_get may fetch from (exact, `*.example.com`, or `*`). Default none: http_get refuses every URL. */
  allowHosts?: string[];
  /** A Tavily API key: `search` then searches the web instead of the bundled corpus. */
  webSearchApiKey?: string;
  /** Size and time limits of the file, data and HTTP tools. */
  files?: Omit<FileToolOptions, "workspace">;
  data?: Omit<DataToolOptions, "workspace">;
  http?: Omit<HttpGetOptions, "allowHosts">;
}

/** Tool options from the environment (only src/config/env.ts reads it). */
export function toolSuiteOptionsFromEnv(env: EnvConfig): ToolSuiteOptions {
  return {
    ...(env.tavilyApiKey ? { webSearchApiKey: env.tavilyApiKey } : {}),
    ...(env.workspace ? { workspace: env.workspace } : {}),
    ...(env.allowHosts?.length ? { allowHosts: env.allowHosts } : {}),
  };
}

/** Default outbox of send_email. */
export const DEFAULT_OUTBOX = ".plan-execute/outbox";

/**
 * The tools of a live run (the CLI's `run` and the `langgraph dev` graph): the default suite
 * configured from the environment, plus send_email into the outbox folder.
 */
export function createLiveTools(env: EnvConfig, options: { outbox?: string } = {}): ToolRegistry {
  return new ToolRegistry([
    ...createDefaultTools(toolSuiteOptionsFromEnv(env)),
    createSendEmailTool({ outbox: options.outbox ?? env.outbox ?? DEFAULT_OUTBOX }),
  ]);
}

/**
 * The built-in tools: calculator, search (web search when a key is given, else the bundled
 * corpus), llm, summarize, the workspace file tools, the data tools and http_get.
 */
export function createDefaultTools(options: ToolSuiteOptions = {}): PlanTool<any>[] {
  const workspace = options.workspace ?? DEFAULT_WORKSPACE;
  return [
    calculatorTool,
    options.webSearchApiKey ? createWebSearchTool({ apiKey: options.webSearchApiKey }) : searchTool,
    llmTool,
    summarizeTool,
    ...createFileTools({ ...options.files, workspace }),
    ...createDataTools({ ...options.data, workspace }),
    createHttpGetTool({ ...options.http, allowHosts: options.allowHosts ?? [] }),
  ];
}

/** The default tool suite with default options. */
export function defaultTools(): PlanTool<any>[] {
  return createDefaultTools();
}

/** A registry of the built-in tools plus `extra`. */
export function createToolRegistry(extra: Iterable<PlanTool<any>> = []): ToolRegistry {
  return new ToolRegistry([...defaultTools(), ...extra]);
}
