import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { z } from "zod";
import { createPlanExecuteAgent } from "../../src/agent/agent.js";
import type { PlanExecuteContext } from "../../src/core/settings.js";
import { MODEL_ROLES, type ModelRole } from "../../src/core/roles.js";
import { ScriptedChatModel, type ScriptedReply } from "../../src/testing/scripted.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import type { PlanTool } from "../../src/tools/types.js";
import { fakeTool } from "./tools.js";

/** Plans for a planner (and replanner) that streams: see test/graph/streaming-*.test.ts. */
export interface StepSpec {
  id: string;
  tool: string;
  args?: Record<string, unknown>;
  depends_on?: string[];
}

/** The wire plan as the model writes it (args as a JSON string). */
export function wire(...steps: StepSpec[]) {
  return {
    steps: steps.map((s) => ({
      id: s.id,
      description: `step ${s.id}`,
      tool: s.tool,
      args: JSON.stringify(s.args ?? {}),
      depends_on: s.depends_on ?? [],
      expected_output: "something",
      reflect: false,
    })),
  };
}

export const planReply = (...steps: StepSpec[]): ScriptedReply => ({ structured: wire(...steps) });
export const w = (id: string, ms = 20, depends_on: string[] = []): StepSpec => ({
  id,
  tool: "wait",
  args: { ms, label: id },
  depends_on,
});

/** An agent whose planner streams at `tokensPerSecond` (four characters a token). */
export function streamingAgent(
  script: Partial<Record<ModelRole, ScriptedReply[]>>,
  tools: PlanTool<any>[],
  options: {
    tokensPerSecond?: number;
    checkpointer?: BaseCheckpointSaver;
    settings?: PlanExecuteContext;
  } = {},
) {
  const models = Object.fromEntries(
    MODEL_ROLES.map((role) => [
      role,
      new ScriptedChatModel({
        name: role,
        replies: [...(script[role] ?? [])],
        ...(role === "planner" ? { tokensPerSecond: options.tokensPerSecond ?? 400 } : {}),
      }),
    ]),
  ) as Record<ModelRole, ScriptedChatModel>;
  const agent = createPlanExecuteAgent({
    models,
    tools: new ToolRegistry(tools),
    checkpointer: options.checkpointer ?? new MemorySaver(),
    ...(options.settings ? { settings: options.settings } : {}),
  });
  return { agent, models };
}

/** A tool of the given tier that records when it ran. */
export function tierTool(name: string, risk: "MEDIUM" | "HIGH") {
  const at: number[] = [];
  const tool = fakeTool(
    name,
    z.object({ to: z.string() }).strict(),
    (a) => {
      at.push(Date.now());
      return `${name} ${a.to}`;
    },
    risk,
  );
  return { tool, at };
}
