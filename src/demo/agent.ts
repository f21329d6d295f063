import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { createPlanExecuteAgent } from "../agent/agent.js";
import type { UsageByRole } from "../core/state.js";
import type { ModelProvider } from "../models/provider.js";
import { MODEL_ROLES, type ModelRole } from "../core/roles.js";
import { ScriptedChatModel } from "../testing/scripted.js";
import type { PlanTool } from "../tools/types.js";
import { createSendEmailTool } from "../tools/email.js";
import {
  calculatorTool,
  createDataTools,
  createFileTools,
  DEFAULT_WORKSPACE,
  llmTool,
  searchTool,
  summarizeTool,
  ToolRegistry,
} from "../tools/index.js";
import { withSimulatedLatency } from "./latency.js";
import type { Scenario } from "./types.js";

export interface ScenarioAgentOptions {
  /** Simulated search latency, so parallel steps visibly overlap. Default on. */
  latency?: boolean;
  checkpointer?: BaseCheckpointSaver;
  /** Outbox folder for send_email (default `.plan-execute/outbox`). */
  outbox?: string;
  /** Folder of the file and data tools (default `.plan-execute/workspace`). */
  workspace?: string;
  /**
   * Model calls a resumed thread already made, per role (its `usage`): those replies are
   * skipped, so a new process continues the script where the old one stopped.
   */
  answered?: UsageByRole;
  /** Models to use instead of the scripted ones (e.g. ChatOpenAI against the scenario's local server). */
  models?: ModelProvider;
}

/** Scripted models for each role of a scenario. */
export function scenarioModels(
  scenario: Scenario,
  answered: UsageByRole = {},
): Record<ModelRole, ScriptedChatModel> {
  return Object.fromEntries(
    MODEL_ROLES.map((role) => [
      role,
      new ScriptedChatModel({
        name: `scripted-${role}`,
        replies: (scenario.script[role] ?? []).slice(answered[role]?.calls ?? 0),
      }),
    ]),
  ) as Record<ModelRole, ScriptedChatModel>;
}

/** The tools every scenario runs with: the real built-in ones (no http_get) and send_email. */
export function scenarioTools(
  options: Pick<ScenarioAgentOptions, "latency" | "outbox" | "workspace"> = {},
): PlanTool<any>[] {
  const search = options.latency === false ? searchTool : withSimulatedLatency(searchTool, 250, 900);
  const workspace = options.workspace ?? DEFAULT_WORKSPACE;
  return [
    calculatorTool,
    search,
    llmTool,
    summarizeTool,
    ...createFileTools({ workspace }),
    ...createDataTools({ workspace }),
    createSendEmailTool({ outbox: options.outbox ?? ".plan-execute/outbox" }),
  ];
}

/** The agent with the scenario's scripted models and the real built-in tools. */
export function createScenarioAgent(scenario: Scenario, options: ScenarioAgentOptions = {}) {
  return createPlanExecuteAgent({
    models: options.models ?? scenarioModels(scenario, options.answered),
    tools: new ToolRegistry(scenarioTools(options)),
    checkpointer: options.checkpointer ?? new MemorySaver(),
  });
}
