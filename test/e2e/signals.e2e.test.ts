import { MemorySaver } from "@langchain/langgraph";
import { afterEach, describe, expect, it } from "vitest";
import { createPlanExecuteAgent } from "../../src/agent/agent.js";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { openAIModelProvider } from "../../src/models/provider.js";
import {
  messageText,
  startFakeOpenAI,
  structuredName,
  type ChatRequest,
  type FakeOpenAI,
  type FakeReply,
} from "../../src/testing/fake-openai/index.js";
import { calculatorTool, llmTool, ToolRegistry } from "../../src/tools/index.js";

/**
 * Dynamic replanning, confidence gating and a sub-agent step through ChatOpenAI against the local
 * server, which refuses any schema OpenAI's strict mode refuses: the plan_fit judgement, the critic's
 * verdict with a confidence, and a tool-calling llm step bound to the calculator.
 */
let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const wire = (id: string, tool: string, args: unknown, depends_on: string[] = []) => ({
  id,
  description: `step ${id}`,
  tool,
  args: JSON.stringify(args),
  depends_on,
  expected_output: "a number",
  reflect: false,
});

function answer(req: ChatRequest): FakeReply {
  const name = structuredName(req);
  if (name === "plan")
    return {
      json: {
        steps: [
          wire("w", "llm", { prompt: "compute 2+3 with the calculator", tools: ["calculator"] }),
          wire("d", "calculator", { expression: "{{w.output}} * 2" }, ["w"]),
        ],
      },
    };
  if (name === "verdict") return { json: { pass: true, reason: "a number", confidence: 0.9 } };
  if (name === "plan_fit") return { json: { fits: true, reason: "on track" } };
  const system = messageText(req, "system");
  if (system.startsWith("You carry out one step")) {
    const toolResult = req.messages.some((m) => m.role === "tool");
    return toolResult
      ? "5\nCONFIDENCE: 0.8"
      : { toolCalls: [{ name: "calculator", args: { expression: "2+3" } }] };
  }
  if (system.startsWith("You write the final answer")) return "10 [d]";
  throw new Error(`unexpected request: ${system.slice(0, 60)}`);
}

describe("quality loops 3–5 through ChatOpenAI (strict schemas)", () => {
  it("a sub-agent step calls the calculator, its confidence and the critic's pass, the plan is judged to fit", async () => {
    server = await startFakeOpenAI({ script: answer });
    const agent = createPlanExecuteAgent({
      models: openAIModelProvider(
        { openaiApiKey: "test", openaiBaseUrl: server.url, models: {} },
        { maxRetries: 0 },
      ),
      tools: new ToolRegistry([llmTool, calculatorTool]),
      checkpointer: new MemorySaver(),
    });
    const state = (await agent.invoke(
      { goal: "double 2+3" },
      {
        configurable: { thread_id: "signals-e2e" },
        context: {
          replan: "on_signal",
          minConfidence: 0.5,
          critic: "llm_steps",
          maxRevisions: 0,
          maxAnswerRevisions: 0,
        },
      },
    )) as PlanExecuteStateType;
    expect(state.error).toBeNull();
    expect(state.finalAnswer).toBe("10 [d]");
    expect(state.steps.w).toMatchObject({
      status: "succeeded",
      output: "5",
      stepConfidence: { value: 0.8 },
      criticConfidence: { value: 0.9 },
    });
    expect(state.steps.w?.subAgentCalls?.[0]).toMatchObject({ tool: "calculator", ok: true, output: "5" });
    expect(state.steps.d).toMatchObject({ status: "succeeded", output: 10 });
    expect(state.planChecks.map((c) => c.verdict)).toEqual(["fits"]);
    // Every request the server got was accepted (a refused strict schema is a 400).
    const names = server.chatRequests.map((r) => structuredName(r.body as ChatRequest) ?? "text");
    expect(names).toEqual(expect.arrayContaining(["plan", "verdict", "plan_fit"]));
    expect(server.chatRequests.map((r) => r.status)).not.toContain(400);
  });
});
