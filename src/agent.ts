import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { readEnv } from "./config/env.js";
import { buildPlanExecuteGraph } from "./graph/builder.js";
import { fixedModelProvider, openAIModelProvider, type ModelProvider } from "./models/provider.js";
import type { ModelRole } from "./models/roles.js";
import { createToolRegistry, ToolRegistry } from "./tools/index.js";
import type { PlanTool } from "./tools/types.js";

export interface PlanExecuteAgentOptions {
  /** A model per role, or a provider that picks one from the run's settings. Default: OpenAI-compatible from env. */
  models?: Record<ModelRole, BaseChatModel> | ModelProvider;
  /** A full registry, or extra tools added to the built-in ones. */
  tools?: ToolRegistry | PlanTool<any>[];
  checkpointer?: BaseCheckpointSaver | false;
  /** Node names to stop before (LangGraph `interruptBefore`), for debugging and tests. */
  interruptBefore?: ("planner" | "executor" | "evaluator" | "replanner" | "synthesizer")[];
}

/**
 * The compiled plan-and-execute graph.
 *
 * @example
 * const agent = createPlanExecuteAgent({ checkpointer: new MemorySaver() });
 * const result = await agent.invoke(
 *   { goal: "Compare NVIDIA's and AMD's 2024 revenue" },
 *   { configurable: { thread_id: "t1" }, context: { maxConcurrency: 4 } },
 * );
 * console.log(result.finalAnswer);
 */
export function createPlanExecuteAgent(options: PlanExecuteAgentOptions = {}) {
  const models =
    typeof options.models === "function"
      ? options.models
      : options.models
        ? fixedModelProvider(options.models)
        : openAIModelProvider(readEnv());
  const tools =
    options.tools instanceof ToolRegistry ? options.tools : createToolRegistry(options.tools ?? []);
  return buildPlanExecuteGraph({ models, tools }).compile({
    checkpointer: options.checkpointer,
    interruptBefore: options.interruptBefore,
  });
}

export type PlanExecuteAgent = ReturnType<typeof createPlanExecuteAgent>;
