import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { z } from "zod";
import { readEnv } from "../config/env.js";
import { buildPlanExecuteGraph } from "../graph/builder.js";
import { watchSaver } from "../execution/durable-writes.js";
import { asTimeTravel, keepUpdatedDeltasWhole } from "../execution/delta-forks.js";
import { replaySteps } from "../graph/shape.js";
import type { PlanExecuteInput } from "../core/state.js";
import {
  LIMIT_KEYS,
  layerSettings,
  PlanExecuteContextSchema,
  POLICY_KEYS,
  type LimitKey,
  type PlanExecuteContext,
  type PolicyKey,
} from "../core/settings.js";
import { fixedModelProvider, openAIModelProvider, type ModelProvider } from "../models/provider.js";
import type { ModelRole } from "../core/roles.js";
import {
  createDefaultTools,
  toolSuiteOptionsFromEnv,
  ToolRegistry,
  type ToolSuiteOptions,
} from "../tools/index.js";
import { RISK_TIERS, type PlanTool, type RiskTier } from "../tools/types.js";

/** When a person is asked, and which steps the critic checks. Defaults of every run of the agent. */
export type PlanExecutePolicies = Partial<Pick<PlanExecuteContext, PolicyKey>> & {
  /**
   * Risk tier per tool name, replacing the tool's own (e.g. `{ http_get: "HIGH" }` to have every
   * fetch approved). The tools must exist. Unlike the other policies, fixed for the agent.
   */
  toolRisk?: Record<string, RiskTier>;
};

/** Plan size, retries, concurrency, timeouts and budgets. Defaults of every run of the agent. */
export type PlanExecuteLimits = Partial<Pick<PlanExecuteContext, LimitKey>>;

export interface PlanExecuteAgentOptions {
  /** A model per role, or a provider that picks one from the run's settings. Default: OpenAI-compatible from env. */
  models?: Record<ModelRole, BaseChatModel> | ModelProvider;
  /**
   * A full registry (used as is), or extra tools added to the built-in suite. Default: the
   * built-in suite (see `createDefaultTools`) configured by `toolSuite`.
   */
  tools?: ToolRegistry | PlanTool<any>[];
  /**
   * Options of the built-in suite when `tools` is not a registry: the workspace the file and data
   * tools are confined to (default `.plan-execute/workspace` under the cwd), the hosts http_get may
   * fetch (default none), a Tavily key for web search. Default: TAVILY_API_KEY from the environment.
   */
  toolSuite?: ToolSuiteOptions;
  /**
   * Where runs are saved. Needed for approvals (a run that stops must be resumable) and resumes.
   * `false`: none. As a subgraph, leave it unset to use the parent's, or `true` for a history of its own.
   */
  checkpointer?: BaseCheckpointSaver | boolean;
  /** Default policies of every run: approvePlan, autoApprove, critic, and per-tool risk tiers. */
  policies?: PlanExecutePolicies;
  /** Default limits of every run: maxSteps, maxReplans, maxConcurrency, stepTimeoutMs, budgets, … */
  limits?: PlanExecuteLimits;
  /** Defaults of any other run setting: model names per role, retry delays, prices. */
  settings?: PlanExecuteContext;
  /** Node names to stop before (LangGraph `interruptBefore`), for debugging and tests. */
  interruptBefore?: ("planner" | "executor" | "evaluator" | "replanner" | "synthesizer" | "review_answer")[];
  /** The compiled graph's name, shown in traces. Default LangGraph's ("LangGraph"). */
  name?: string;
}

const pickKeys = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, true])) as { [P in K]: true };

/** What each option group may hold; unknown keys (typos) are refused. */
const OPTION_SCHEMAS = {
  settings: PlanExecuteContextSchema.partial().strict(),
  policies: PlanExecuteContextSchema.pick(pickKeys(POLICY_KEYS))
    .extend({ toolRisk: z.record(z.string(), z.enum(RISK_TIERS as [RiskTier, ...RiskTier[]])) })
    .partial()
    .strict(),
  limits: PlanExecuteContextSchema.pick(pickKeys(LIMIT_KEYS)).partial().strict(),
} as const;

/** Thrown by `createPlanExecuteAgent` for an invalid option; `problems` lists each one with its path. */
export class PlanExecuteOptionsError extends Error {
  override name = "PlanExecuteOptionsError";
  constructor(readonly problems: string[]) {
    super(`createPlanExecuteAgent: invalid options: ${problems.join("; ")}`);
  }
}

function validateOptions(options: PlanExecuteAgentOptions, tools: ToolRegistry): PlanExecuteContext {
  const problems: string[] = [];
  for (const [group, schema] of Object.entries(OPTION_SCHEMAS)) {
    const value: unknown = options[group as keyof typeof OPTION_SCHEMAS];
    if (value === undefined) continue;
    const result = schema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        problems.push(`${[group, ...issue.path.map(String)].join(".")}: ${issue.message}`);
      }
    }
  }
  for (const name of Object.keys(options.policies?.toolRisk ?? {})) {
    if (!tools.has(name)) {
      problems.push(`policies.toolRisk.${name}: no tool "${name}" (tools: ${tools.names().join(", ")})`);
    }
  }
  if (problems.length > 0) throw new PlanExecuteOptionsError(problems);
  const { toolRisk: _toolRisk, ...policies } = options.policies ?? {};
  return layerSettings(options.settings, policies, options.limits) as PlanExecuteContext;
}

/**
 * Every field of a tool, so that a tool under another tier keeps them all: one left out is lost
 * silently (a pinned `llm` would leave a large catalogue's prompt, a search its prompt rendering, a
 * plan check its refusal). The type below fails to compile when `PlanTool` gains a field not listed.
 */
const TOOL_FIELDS = [
  "name",
  "description",
  "schema",
  "risk",
  "timeoutMs",
  "pinned",
  "usesModel",
  "reflect",
  "planIssues",
  "promptText",
  "isEmptyOutput",
  "run",
] as const satisfies readonly (keyof PlanTool)[];
const _everyField: Record<Exclude<keyof PlanTool, (typeof TOOL_FIELDS)[number]>, never> = {};
void _everyField;

/** The same tool under another risk tier (the original object is left alone). */
function withRisk(tool: PlanTool, risk: RiskTier): PlanTool {
  const copy: Record<string, unknown> = {};
  for (const field of TOOL_FIELDS) {
    const value: unknown = tool[field];
    // A method keeps its tool as `this` (a tool may be a class instance).
    if (value !== undefined) copy[field] = typeof value === "function" ? value.bind(tool) : value;
  }
  return { ...copy, risk } as unknown as PlanTool;
}

function toolRegistry(options: PlanExecuteAgentOptions): ToolRegistry {
  if (options.tools instanceof ToolRegistry) return options.tools;
  const suite = options.toolSuite ?? toolSuiteOptionsFromEnv(readEnv());
  return new ToolRegistry([...createDefaultTools(suite), ...(options.tools ?? [])]);
}

/**
 * The compiled plan-and-execute graph. `policies`, `limits` and `settings` are the defaults of
 * every run; a run's own settings (`runSettings` in the input) override them, and the `context`
 * of an invocation overrides both. They are checked here: an invalid value throws a
 * {@link PlanExecuteOptionsError} that names it.
 *
 * @example
 * const agent = createPlanExecuteAgent({
 *   checkpointer: new MemorySaver(),
 *   policies: { autoApprove: "LOW" },
 *   limits: { maxSteps: 8, maxCostUsd: 0.5 },
 * });
 * const result = await agent.invoke(
 *   { goal: "Compare NVIDIA's and AMD's 2024 revenue" },
 *   { configurable: { thread_id: "t1" }, context: { maxConcurrency: 4 } },
 * );
 * console.log(result.finalAnswer);
 */
export function createPlanExecuteAgent(options: PlanExecuteAgentOptions = {}) {
  let tools = toolRegistry(options);
  const defaults = validateOptions(options, tools);
  const toolRisk = options.policies?.toolRisk;
  if (toolRisk && Object.keys(toolRisk).length > 0) {
    tools = new ToolRegistry(
      tools.list().map((t) => (toolRisk[t.name] ? withRisk(t, toolRisk[t.name]!) : t)),
    );
  }
  const models =
    typeof options.models === "function"
      ? options.models
      : options.models
        ? fixedModelProvider(options.models)
        : openAIModelProvider(readEnv());
  // Watched from the first checkpoint on, so the executor can wait for a step's start marker to be
  // saved before the tool runs, on savers that write asynchronously too (see durable-writes.ts).
  const checkpointer =
    typeof options.checkpointer === "object" ? watchSaver(options.checkpointer) : options.checkpointer;
  const graph = buildPlanExecuteGraph({ models, tools, defaults }).compile({
    checkpointer,
    interruptBefore: options.interruptBefore,
    ...(options.name !== undefined ? { name: options.name } : {}),
  });
  return withTimeTravel(graph);
}

/**
 * `updateState` on an earlier checkpoint (Studio's "edit state" in the past, an app's time travel)
 * keeps the step records as of that checkpoint: see execution/delta-forks.ts. The saver is
 * wrapped at the first update, so one the LangGraph server supplies later is covered too.
 */
function withTimeTravel<G extends { updateState: (...args: any[]) => Promise<any>; checkpointer?: unknown }>(
  graph: G,
): G {
  const updateState = graph.updateState.bind(graph);
  graph.updateState = ((config: Parameters<G["updateState"]>[0], ...rest: unknown[]) => {
    if (typeof graph.checkpointer === "object" && graph.checkpointer !== null)
      keepUpdatedDeltasWhole(graph.checkpointer as BaseCheckpointSaver, "steps", replaySteps);
    return asTimeTravel(config, () => updateState(config, ...rest));
  }) as G["updateState"];
  return graph;
}

export type PlanExecuteAgent = ReturnType<typeof createPlanExecuteAgent>;

/** What starts a run: `{ goal }`, optionally with the run's own settings (kept with its first checkpoint). */
export type PlanExecuteInputValue = z.input<typeof PlanExecuteInput>;
