/**
 * The agent as a LangChain tool for another agent: `createPlanExecuteTool(agent)` takes `{ goal }`
 * and returns the final answer. Here the other agent is LangGraph's prebuilt ReAct agent, which
 * decides to hand the multi-step research to the plan-and-execute agent and then answers its user.
 * Each tool call runs on a fresh thread of the plan-and-execute agent; a run that stops for a
 * person comes back as a message saying so and naming its thread.
 *
 *   npx tsx examples/as-tool.ts
 *
 * Offline (scripted models for both agents, real tools) unless OPENAI_API_KEY or OPENAI_BASE_URL
 * is set. In your app, import from "langgraph-plan-execute" instead of "../src/index.js".
 */
import { pathToFileURL } from "node:url";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { hasLiveModel, readEnv } from "../src/config/env.js";
import {
  createPlanExecuteAgent,
  createPlanExecuteTool,
  openAIModelProvider,
  resolveSettings,
} from "../src/index.js";
import { ScriptedChatModel } from "../src/testing/index.js";
import { REVENUE_GOAL, revenueModels } from "./offline.js";
import type { ExampleOptions } from "./plain-node.js";

/** The outer agent's model offline: call the tool with the question, then answer from its result. */
function scriptedOuterModel(question: string): BaseChatModel {
  return new ScriptedChatModel({
    name: "outer",
    replies: [
      // With one tool bound, a structured reply is a call of that tool.
      { structured: { goal: question } },
      (messages: BaseMessage[]) => {
        const result = messages.findLast((m) => m.getType() === "tool")?.text ?? "(no result)";
        return `Here is what my research agent found: ${result}`;
      },
    ],
  });
}

export async function main(options: ExampleOptions = {}) {
  const live = options.live ?? hasLiveModel(readEnv());
  const question = options.goal ?? REVENUE_GOAL;
  const log = options.log ?? console.log;

  const planExecute = createPlanExecuteTool(
    createPlanExecuteAgent({
      ...(live ? {} : { models: revenueModels(), toolSuite: {} }),
      checkpointer: new MemorySaver(),
      limits: { maxSteps: 8, maxCostUsd: 0.25 },
    }),
    { description: "Researches a question that needs several lookups and calculations; returns the answer." },
  );
  const llm = live
    ? await openAIModelProvider(readEnv())("planner", resolveSettings({}))
    : scriptedOuterModel(question);
  const outer = createReactAgent({ llm, tools: [planExecute] });

  const result = await outer.invoke({ messages: [new HumanMessage(question)] });
  const toolCalls = result.messages.flatMap((m) =>
    "tool_calls" in m && Array.isArray(m.tool_calls) ? m.tool_calls : [],
  );
  const toolResults = result.messages.filter((m) => m.getType() === "tool").map((m) => m.text);
  const answer = result.messages.at(-1)?.text ?? "";
  for (const call of toolCalls) log(`outer agent called ${call.name}(${JSON.stringify(call.args)})`);
  for (const text of toolResults) log(`tool returned: ${text}`);
  log(`outer agent: ${answer}`);
  return { toolCalls, toolResults, answer };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main({ goal: process.argv[2] });
}
