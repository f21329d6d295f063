import {
  AIMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  type BaseMessage,
} from "@langchain/core/messages";
import type { EnvConfig } from "../config/env.js";
import type { PlanExecuteContext } from "../core/settings.js";
import type { UsageByRole } from "../core/state.js";
import {
  startFakeOpenAI,
  type ChatMessage,
  type FakeOpenAI,
  type FakeReply,
} from "../testing/fake-openai/index.js";
import { MODEL_ROLES, type ModelRole } from "../core/roles.js";
import type { ScriptedReply } from "../testing/scripted.js";
import type { Scenario } from "./types.js";

/**
 * A bundled scenario served over HTTP by the local OpenAI-compatible server, so the live path —
 * ChatOpenAI, real requests, strict json_schema, SSE streaming, the client's retries — runs with no
 * key and no network (`plan-execute demo --live-local`, and the `langgraph dev` end-to-end test).
 *
 * Each role gets its own model name; the server tells the roles apart by it and answers from that
 * role's script. The names are stored with the run's settings, so a resumed thread is recognised
 * as a live-local one.
 */
export const LOCAL_MODEL_PREFIX = "local-scripted-";

export function localModelName(role: ModelRole): string {
  return `${LOCAL_MODEL_PREFIX}${role}`;
}

/** The run settings that send every role to the local server's per-role model. */
export function localModelSettings(): PlanExecuteContext {
  return {
    plannerModel: localModelName("planner"),
    executorModel: localModelName("executor"),
    evaluatorModel: localModelName("evaluator"),
    synthesizerModel: localModelName("synthesizer"),
  };
}

/** True for a thread whose settings name the local scripted models. */
export function isLocalModelRun(runSettings: Record<string, unknown> | null | undefined): boolean {
  return String(runSettings?.plannerModel ?? "").startsWith(LOCAL_MODEL_PREFIX);
}

export interface ScenarioServerOptions {
  /** Model calls a resumed thread already made, per role: those replies are skipped. */
  answered?: UsageByRole;
  port?: number;
  /** Pause between streamed chunks, so streaming is visible. Default 0. */
  chunkDelayMs?: number;
}

/**
 * Starts the local OpenAI-compatible server answering with `scenario`'s script, role by role.
 *
 * @example
 * const server = await serveScenario(ratioScenario);
 * const models = openAIModelProvider(localServerEnv(server));
 * const agent = createPlanExecuteAgent({ models, checkpointer });
 * await agent.invoke({ goal: ratioScenario.goal }, { configurable: { thread_id: "t" }, context: localModelSettings() });
 */
export async function serveScenario(
  scenario: Scenario,
  options: ScenarioServerOptions = {},
): Promise<FakeOpenAI> {
  const queues = Object.fromEntries(
    MODEL_ROLES.map((role) => [
      role,
      (scenario.script[role] ?? []).slice(options.answered?.[role]?.calls ?? 0),
    ]),
  ) as Record<ModelRole, ScriptedReply[]>;
  return startFakeOpenAI({
    port: options.port,
    chunkDelayMs: options.chunkDelayMs,
    models: MODEL_ROLES.map(localModelName),
    script: async (req) => {
      const role = MODEL_ROLES.find((r) => req.model === localModelName(r));
      if (!role) return { status: 404, message: `The model \`${req.model}\` does not exist.` };
      const reply = queues[role].shift();
      if (reply === undefined) {
        return { status: 500, message: `scenario "${scenario.name}" has no ${role} reply left` };
      }
      return toFakeReply(reply, req.messages.map(toMessage));
    },
  });
}

/** The environment the OpenAI provider needs to reach `server`. */
export function localServerEnv(server: FakeOpenAI): EnvConfig {
  return { openaiApiKey: "local", openaiBaseUrl: server.url, models: {} };
}

async function toFakeReply(reply: ScriptedReply, messages: BaseMessage[]): Promise<FakeReply> {
  if (typeof reply === "function") return toFakeReply(await reply(messages), messages);
  if (typeof reply === "string") return reply;
  if ("toolCalls" in reply) return { toolCalls: reply.toolCalls, content: reply.text ?? "" };
  if ("text" in reply) return reply.text;
  if ("structured" in reply) return { json: reply.structured };
  // Raw (possibly broken) arguments: the server cuts a streamed answer off half-way instead.
  if ("raw" in reply) return { truncated: true, text: reply.raw };
  if ("error" in reply) {
    const message = typeof reply.error === "string" ? reply.error : reply.error.message;
    return { status: /\b429\b/.test(message) ? 429 : 500, message };
  }
  return { delayMs: reply.delayMs, reply: await toFakeReply(reply.reply, messages) };
}

function toMessage(message: ChatMessage): BaseMessage {
  const content =
    typeof message.content === "string"
      ? message.content
      : (message.content ?? []).map((part) => part.text ?? "").join("");
  switch (message.role) {
    case "system":
    case "developer":
      return new SystemMessage(content);
    case "assistant":
      return new AIMessage(content);
    case "tool":
      return new ToolMessage({ content, tool_call_id: message.tool_call_id ?? "" });
    default:
      return new HumanMessage(content);
  }
}
