import { MemorySaver } from "@langchain/langgraph";
import { afterEach, describe, expect, it } from "vitest";
import { createPlanExecuteAgent } from "../../src/agent/agent.js";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { searchScenario } from "../../src/demo/search.js";
import { openAIModelProvider } from "../../src/models/provider.js";
import {
  messageText,
  startFakeOpenAI,
  structuredName,
  type ChatRequest,
  type FakeOpenAI,
  type FakeReply,
} from "../../src/testing/fake-openai/index.js";
import { calculatorTool, searchTool, ToolRegistry } from "../../src/tools/index.js";

let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The search scenario's answers, served over HTTP: candidates, the judge's scores, the answer. */
function script(req: ChatRequest): FakeReply {
  const reply = (role: "planner" | "evaluator") => {
    const first = searchScenario.script[role]?.[0] as { structured: Record<string, unknown> };
    return { json: first.structured };
  };
  const name = structuredName(req);
  if (name === "plan_candidates") return reply("planner");
  if (name === "plan_scores") return reply("evaluator");
  const prompt = messageText(req, "user", "last");
  const density = Number(/\[step_3\][^\n]*\n([^\n]*)/.exec(prompt)?.[1]);
  return `About ${Math.round(density)} people per square mile [step_3].`;
}

describe("plan search through ChatOpenAI against the strict fake OpenAI server", () => {
  it("sends strict-mode schemas for the candidates and the judge, and recovers through the second candidate", async () => {
    server = await startFakeOpenAI({ script });
    const agent = createPlanExecuteAgent({
      models: openAIModelProvider(
        { openaiApiKey: "test", openaiBaseUrl: server.url, models: {} },
        { maxRetries: 0 },
      ),
      tools: new ToolRegistry([searchTool, calculatorTool]),
      checkpointer: new MemorySaver(),
    });
    const config = { configurable: { thread_id: "search-e2e" } };
    const state = (await agent.invoke(
      { goal: searchScenario.goal },
      { ...config, context: { planSearch: { candidates: 2 }, maxAnswerRevisions: 0 } },
    )) as PlanExecuteStateType;
    expect(state.error).toBeNull();
    expect(state.finalAnswer).toBe("About 3063 people per square mile [step_3].");
    const names = server.chatRequests.map((r) => structuredName(r.body) ?? "text");
    expect(names).toEqual(["plan_candidates", "plan_scores", "text"]);
    expect(state.planSearch?.nodes.map((n) => [n.id, n.status])).toEqual([
      ["n0", "running"],
      ["n1", "failed"],
      ["n2", "succeeded"],
    ]);
    expect(state.usage.evaluator?.calls).toBe(1);
  });
});
