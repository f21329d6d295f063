import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { createPlanExecuteAgent, type PlanExecuteAgent } from "../../src/agent/agent.js";
import { resolveSettings, type PlanExecuteContext } from "../../src/core/settings.js";
import { isProgressEvent, type ProgressEvent } from "../../src/core/events.js";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { MODEL_ROLES, type ModelRole } from "../../src/core/roles.js";
import { ScriptedChatModel, type ScriptedReply } from "../../src/testing/scripted.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import type { PlanTool } from "../../src/tools/types.js";

export type Script = Partial<Record<ModelRole, ScriptedReply[]>>;

export interface TestAgent {
  agent: PlanExecuteAgent;
  models: Record<ModelRole, ScriptedChatModel>;
}

/** An agent on scripted models and the given tools, with a checkpointer (memory by default). */
export function scriptedAgent(
  script: Script,
  tools: PlanTool<any>[],
  checkpointer: BaseCheckpointSaver = new MemorySaver(),
): TestAgent {
  const models = Object.fromEntries(
    MODEL_ROLES.map((role) => [
      role,
      new ScriptedChatModel({ name: role, replies: [...(script[role] ?? [])] }),
    ]),
  ) as Record<ModelRole, ScriptedChatModel>;
  const agent = createPlanExecuteAgent({ models, tools: new ToolRegistry(tools), checkpointer });
  return { agent, models };
}

export interface RunResult {
  state: PlanExecuteStateType;
  events: ProgressEvent[];
  interrupts: unknown[];
}

let threads = 0;

/** Streams one invocation to its end or its next interrupt, collecting progress events. */
export async function run(
  agent: PlanExecuteAgent,
  input: { goal: string } | null | unknown,
  options: { thread?: string; context?: PlanExecuteContext } = {},
): Promise<RunResult & { thread: string }> {
  const thread = options.thread ?? `test-${++threads}`;
  // Like the CLI, a resume passes no context unless the test gives one: the run's own settings apply.
  const context = options.context;
  if (context) resolveSettings(context);
  const config = { configurable: { thread_id: thread }, ...(context ? { context } : {}) };
  const events: ProgressEvent[] = [];
  const stream = await agent.stream(input as never, {
    ...config,
    streamMode: ["custom", "updates"] as const,
  });
  const interrupts: unknown[] = [];
  for await (const [mode, chunk] of stream) {
    if (mode === "custom" && isProgressEvent(chunk)) events.push(chunk);
    if (mode === "updates" && chunk && typeof chunk === "object" && "__interrupt__" in chunk) {
      interrupts.push(...(chunk as { __interrupt__: unknown[] }).__interrupt__);
    }
  }
  const state = (await agent.getState(config)).values as PlanExecuteStateType;
  return { state, events, interrupts, thread };
}

export function eventsOf<T extends ProgressEvent["type"]>(
  events: ProgressEvent[],
  type: T,
): Extract<ProgressEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ProgressEvent, { type: T }> => e.type === type);
}

/** A planner reply from readable steps. */
export function plan(
  ...steps: {
    id: string;
    tool: string;
    args?: Record<string, unknown>;
    depends_on?: string[];
    description?: string;
    expected_output?: string;
  }[]
): ScriptedReply {
  return {
    structured: {
      steps: steps.map((s) => ({
        id: s.id,
        description: s.description ?? `step ${s.id}`,
        tool: s.tool,
        args: JSON.stringify(s.args ?? {}),
        depends_on: s.depends_on ?? [],
        expected_output: s.expected_output ?? "something",
      })),
    },
  };
}
