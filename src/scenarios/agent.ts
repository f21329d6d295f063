import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { createPlanExecuteAgent } from "../agent.js";
import { MODEL_ROLES } from "../models/roles.js";
import { ScriptedChatModel } from "../models/scripted.js";
import { calculatorTool, llmTool, searchTool, ToolRegistry } from "../tools/index.js";
import { withSimulatedLatency } from "./latency.js";
import type { Scenario } from "./types.js";

export interface ScenarioAgentOptions {
  /** Simulated search latency, so parallel steps visibly overlap. Default on. */
  latency?: boolean;
  checkpointer?: BaseCheckpointSaver;
}

/** Scripted models for each role of a scenario, with fresh queues. */
export function scenarioModels(scenario: Scenario) {
  return Object.fromEntries(
    MODEL_ROLES.map((role) => [
      role,
      new ScriptedChatModel({ name: `scripted-${role}`, replies: [...(scenario.script[role] ?? [])] }),
    ]),
  ) as Record<(typeof MODEL_ROLES)[number], ScriptedChatModel>;
}

/** The agent with the scenario's scripted models and the real built-in tools. */
export function createScenarioAgent(scenario: Scenario, options: ScenarioAgentOptions = {}) {
  const search = options.latency === false ? searchTool : withSimulatedLatency(searchTool, 250, 900);
  return createPlanExecuteAgent({
    models: scenarioModels(scenario),
    tools: new ToolRegistry([calculatorTool, search, llmTool]),
    checkpointer: options.checkpointer ?? new MemorySaver(),
  });
}
