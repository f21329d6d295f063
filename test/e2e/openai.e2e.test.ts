import { MemorySaver } from "@langchain/langgraph";
import { afterEach, describe, expect, it } from "vitest";
import { createPlanExecuteAgent } from "../../src/agent/agent.js";
import {
  messageText,
  startFakeOpenAI,
  strictSchemaProblems,
  structuredName,
  type ChatRequest,
  type FakeOpenAI,
  type FakeReply,
  type RecordedRequest,
} from "../../src/testing/fake-openai/index.js";
import { resolveSettings, type PlanExecuteContext } from "../../src/core/settings.js";
import { isProgressEvent, type ProgressEvent } from "../../src/core/events.js";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { openAIModelProvider, type OpenAIProviderOptions } from "../../src/models/provider.js";
import { resultOf } from "../../src/demo/types.js";
import { withSimulatedLatency } from "../../src/demo/latency.js";
import { calculatorTool, llmTool, searchTool, ToolRegistry } from "../../src/tools/index.js";
import type { PlanTool } from "../../src/tools/types.js";

/**
 * The whole graph through ChatOpenAI against the local fake OpenAI server: real HTTP, real SSE,
 * real strict json_schema requests, the client's own retries and timeouts, real search and
 * calculator tools. The fake model answers per role, told apart by what each request asks for.
 */

type Role = "planner" | "replanner" | "critic" | "llm_step" | "synthesizer";

function roleOf(req: ChatRequest | undefined): Role {
  const name = structuredName(req);
  const system = messageText(req, "system");
  if (name === "plan") return system.startsWith("You are the replanner") ? "replanner" : "planner";
  if (name === "verdict") return "critic";
  if (system.startsWith("You write the final answer")) return "synthesizer";
  if (system.startsWith("You carry out one step")) return "llm_step";
  throw new Error(`cannot tell the role of a request: ${system.slice(0, 80)}`);
}

const GOAL = "Find NVIDIA's and AMD's 2024 revenue and compute how many times larger NVIDIA's is.";

const wire = (s: {
  id: string;
  tool: string;
  args: unknown;
  depends_on?: string[];
  description: string;
}) => ({
  id: s.id,
  description: s.description,
  tool: s.tool,
  args: JSON.stringify(s.args),
  depends_on: s.depends_on ?? [],
  expected_output: `${s.description} (expected)`,
  reflect: false,
});

/** Two parallel searches, an LLM extraction (checked by the critic), and a calculator step that fails. */
const PLAN = {
  steps: [
    wire({
      id: "step_1",
      tool: "search",
      args: { query: "NVIDIA revenue fiscal 2024" },
      description: "NVIDIA revenue",
    }),
    wire({ id: "step_2", tool: "search", args: { query: "AMD revenue 2024" }, description: "AMD revenue" }),
    wire({
      id: "step_3",
      tool: "llm",
      args: { prompt: 'Answer as JSON: {"nvidia_usd_billion": number, "amd_usd_billion": number}' },
      depends_on: ["step_1", "step_2"],
      description: "Extract both figures",
    }),
    wire({
      id: "step_4",
      tool: "calculator",
      // `amd_revenue` is not a symbol the calculator knows: the step fails and the replanner takes over.
      args: { expression: "{{step_3.output.nvidia_usd_billion}} / amd_revenue" },
      depends_on: ["step_3"],
      description: "Divide",
    }),
  ],
};

const RECOVERY = {
  steps: [
    wire({
      id: "step_5",
      tool: "calculator",
      args: { expression: "{{step_3.output.nvidia_usd_billion}} / {{step_3.output.amd_usd_billion}}" },
      depends_on: ["step_3"],
      description: "Divide with both extracted figures",
    }),
  ],
};

/** What a sensible model would say in each role; faults queued per role are served first. */
function fakeModel(faults: Partial<Record<Role, FakeReply[]>> = {}) {
  return (req: ChatRequest): FakeReply => {
    const role = roleOf(req);
    const fault = faults[role]?.shift();
    if (fault !== undefined) return fault;
    const prompt = messageText(req, "user", "last");
    switch (role) {
      case "planner":
        return { json: PLAN };
      case "replanner":
        return { json: RECOVERY };
      case "critic":
        return { json: { pass: true, score: 0.9, reason: "Both figures match the cited sources." } };
      case "llm_step": {
        const figure = (id: string) =>
          Number(/\$([\d.]+) billion/.exec(prompt.split(`[${id}]`)[1] ?? "")?.[1]);
        return JSON.stringify({ nvidia_usd_billion: figure("step_1"), amd_usd_billion: figure("step_2") });
      }
      case "synthesizer": {
        const ratio = Number(resultOf(prompt, "step_5"));
        return `NVIDIA's 2024 revenue [step_1] was ${ratio.toFixed(2)} times AMD's [step_2], computed in [step_5].`;
      }
    }
  };
}

/** The real tools, counting how often each one actually ran. Search gets a little latency so overlap shows. */
function countedTools() {
  const counts: Record<string, number> = {};
  const counted = <A>(tool: PlanTool<A>): PlanTool<A> => ({
    ...tool,
    run(args, ctx) {
      counts[tool.name] = (counts[tool.name] ?? 0) + 1;
      return tool.run(args, ctx);
    },
  });
  return {
    counts,
    registry: new ToolRegistry([
      counted(withSimulatedLatency(searchTool, 60, 90)),
      counted(calculatorTool),
      llmTool,
    ]),
  };
}

let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

let threads = 0;

async function setup(
  faults: Partial<Record<Role, FakeReply[]>> = {},
  client: OpenAIProviderOptions = { maxRetries: 2, timeoutMs: 2000 },
  settings: PlanExecuteContext = {},
) {
  server = await startFakeOpenAI({ script: fakeModel(faults) });
  const { counts, registry } = countedTools();
  const agent = createPlanExecuteAgent({
    models: openAIModelProvider({ openaiApiKey: "test", openaiBaseUrl: server.url, models: {} }, client),
    tools: registry,
    checkpointer: new MemorySaver(),
  });
  // The run's settings go with the first invocation only: the run keeps them in state, so a resume
  // (`invoke(null, config)`) passes none, as it would from another process.
  const config = { configurable: { thread_id: `e2e-${++threads}` } };
  const start = {
    ...config,
    // The answer review is off: these tests count every request; it has tests of its own.
    context: resolveSettings({
      critic: "llm_steps",
      maxAnswerRevisions: 0,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 20,
      ...settings,
    }),
  };
  const fake = server;
  const requestsOf = (role: Role): RecordedRequest[] =>
    fake.chatRequests.filter((r) => roleOf(r.body) === role);
  const stateOf = async () => (await agent.getState(config)).values as PlanExecuteStateType;
  /** Streams one invocation to its end, collecting progress events; rejects as `invoke` would. */
  const runToEnd = async (input: { goal: string } | null) => {
    const events: ProgressEvent[] = [];
    const options = { ...(input ? start : config), streamMode: "custom" as const };
    for await (const chunk of await agent.stream(input, options)) {
      if (isProgressEvent(chunk)) events.push(chunk);
    }
    return { events, state: await stateOf() };
  };
  return { agent, config, start, counts, requestsOf, stateOf, runToEnd, server: fake };
}

const RATIO = (60.92 / 25.79).toFixed(2);

describe("the graph through ChatOpenAI against the fake OpenAI server", () => {
  it("plans, runs parallel searches, an LLM step under the critic, recovers from a failed step and streams the answer", async () => {
    const t = await setup();
    const { state, events } = await t.runToEnd({ goal: GOAL });

    expect(state.error).toBeNull();
    expect(state.finalAnswer).toBe(
      `NVIDIA's 2024 revenue [step_1] was ${RATIO} times AMD's [step_2], computed in [step_5].`,
    );
    expect(Object.fromEntries(Object.values(state.steps).map((s) => [s.id, s.status]))).toEqual({
      step_1: "succeeded",
      step_2: "succeeded",
      step_3: "succeeded",
      step_4: "failed",
      step_5: "succeeded",
    });
    expect(state.steps.step_3?.output).toEqual({ nvidia_usd_billion: 60.92, amd_usd_billion: 25.79 });
    expect(state.steps.step_3?.evaluation).toMatchObject({ ok: true, by: "critic" });
    expect(state.steps.step_4?.error).toMatch(/amd_revenue/);
    expect(state.replans).toBe(1);
    expect(t.counts).toEqual({ search: 2, calculator: 2 });

    // The two searches ran side by side: both started before either finished.
    const at = (type: string, id: string) =>
      events.find((e) => e.type === type && "stepId" in e && e.stepId === id)!.at;
    expect(Math.max(at("step_started", "step_1"), at("step_started", "step_2"))).toBeLessThanOrEqual(
      Math.min(at("step_finished", "step_1"), at("step_finished", "step_2")),
    );

    // One request per model call, in the order the graph made them, every one answered.
    const chat = t.server.chatRequests;
    expect(chat.map((r) => roleOf(r.body))).toEqual([
      "planner",
      "llm_step",
      "critic",
      "replanner",
      "synthesizer",
    ]);
    expect(chat.every((r) => r.status === 200 && r.headers.authorization === "Bearer test")).toBe(true);

    // The planner asked for strict json_schema output, and the server (checking like the real API) accepted it.
    const planner = chat[0]!.body!;
    expect(planner.response_format).toMatchObject({
      type: "json_schema",
      json_schema: { name: "plan", strict: true },
    });
    const schema = (planner.response_format as { json_schema: { schema: unknown } }).json_schema.schema;
    expect(strictSchemaProblems(schema)).toEqual([]);
    expect(chat[0]!.outcome).toBe("json_content");
    expect(chat[2]!.body!.response_format).toMatchObject({ json_schema: { name: "verdict", strict: true } });

    // The replanner saw the finished outputs and the failure.
    const replanPrompt = messageText(chat[3]!.body, "user");
    expect(replanPrompt).toContain("[step_3] Extract both figures\n");
    expect(replanPrompt).toMatch(/step_4 \[calculator\][\s\S]*amd_revenue/);

    // The LLM step is a plain call; the synthesizer streams and asks for usage in the stream.
    expect(chat[1]!.body).toMatchObject({ stream: false });
    expect(chat[1]!.body!.response_format).toBeUndefined();
    expect(chat[4]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });

    // Token usage comes from the server's usage fields, streamed usage included.
    expect(state.usage.planner).toMatchObject({ calls: 2 });
    expect(state.usage.planner!.input_tokens).toBeGreaterThan(100);
    expect(state.usage.executor).toMatchObject({ calls: 1 });
    expect(state.usage.evaluator).toMatchObject({ calls: 1 });
    expect(state.usage.synthesizer!.output_tokens).toBe(Math.ceil(state.finalAnswer!.length / 4));
    // Each role's usage names the model that answered, streamed or not, so costs can be priced.
    for (const role of ["planner", "executor", "evaluator", "synthesizer"] as const) {
      expect(state.usage[role]?.model, role).toBe(chat[0]!.body!.model);
    }
  });

  it("completes when the client retries a 429 with Retry-After and a 500", async () => {
    const t = await setup({
      planner: [{ status: 429, retryAfter: 1 }],
      llm_step: [{ status: 500 }],
    });
    const { state } = await t.runToEnd({ goal: GOAL });

    expect(state.finalAnswer).toContain(RATIO);
    expect(t.requestsOf("planner").map((r) => r.status)).toEqual([429, 200]);
    expect(t.requestsOf("llm_step").map((r) => r.status)).toEqual([500, 200]);
    // The client's retry was invisible to the executor: one attempt of the step, no step retry.
    expect(state.steps.step_3?.attempts).toBe(1);
    expect(state.usage.planner?.calls).toBe(2); // planner + replanner; the 429 is not a call
  });

  it("stops with a clear error when the critic's connection hangs past every retry, then resumes without redoing finished steps", async () => {
    const t = await setup({ critic: [{ hang: true }, { hang: true }] }, { maxRetries: 1, timeoutMs: 300 });

    await expect(t.agent.invoke({ goal: GOAL }, t.start)).rejects.toThrow(/timed out/i);
    const stopped = await t.stateOf();
    expect(t.requestsOf("critic").map((r) => r.outcome)).toEqual(["hang", "hang"]);
    // The finished work is in the checkpoint: three steps done, the one gated by the critic not started.
    expect(Object.fromEntries(Object.values(stopped.steps).map((s) => [s.id, s.status]))).toEqual({
      step_1: "succeeded",
      step_2: "succeeded",
      step_3: "succeeded",
      step_4: "pending",
    });
    expect(stopped.steps.step_3?.evaluation).toBeNull();
    expect(stopped.finalAnswer).toBeNull();
    expect((await t.agent.getState(t.config)).next).toEqual(["evaluator"]);

    // The server answers again: resuming the thread continues at the evaluator.
    const resumed = (await t.agent.invoke(null, t.config)) as PlanExecuteStateType;
    expect(resumed.finalAnswer).toContain(RATIO);
    expect(t.counts).toEqual({ search: 2, calculator: 2 }); // no search ran twice
    expect(t.requestsOf("planner")).toHaveLength(1);
    expect(t.requestsOf("llm_step")).toHaveLength(1); // the LLM step was not asked again
    expect(t.requestsOf("critic").map((r) => r.outcome)).toEqual(["hang", "hang", "json_content"]);
  });

  it.each([
    {
      cut: "a stream cut off mid-way",
      fault: { truncated: true } as FakeReply,
      error: /terminated/,
    },
    {
      cut: "an answer cut off at the output limit (finish_reason length), which must not pass for the answer",
      fault: { truncated: true, how: "content", text: "NVIDIA's revenue was" } as FakeReply,
      error: /cut off at the synthesizer model's output limit \(finish_reason "length"\)/,
    },
  ])(
    "stops on $cut from the synthesizer; a resume only re-asks the synthesizer",
    async ({ fault, error }) => {
      const t = await setup({ synthesizer: [fault] });

      await expect(t.agent.invoke({ goal: GOAL }, t.start)).rejects.toThrow(error);
      const stopped = await t.stateOf();
      expect(stopped.finalAnswer).toBeNull();
      expect(stopped.steps.step_5?.status).toBe("succeeded");

      const resumed = (await t.agent.invoke(null, t.config)) as PlanExecuteStateType;
      expect(resumed.finalAnswer).toContain(RATIO);
      expect(t.counts).toEqual({ search: 2, calculator: 2 });
      expect(t.server.chatRequests.map((r) => roleOf(r.body))).toEqual([
        "planner",
        "llm_step",
        "critic",
        "replanner",
        "synthesizer",
        "synthesizer",
      ]);
      expect(t.requestsOf("synthesizer").map((r) => r.outcome)).toEqual(["truncated", "text"]);
    },
  );

  // The next three are about an unstreamed planner call (planStreaming off): a streamed one cannot be
  // retried by the client once part of it arrived; see "a streamed planner answer that breaks off".
  it("gets past a planner answer cut off at the length limit through the client's retry", async () => {
    const t = await setup(
      { planner: [{ truncated: true, json: PLAN }] },
      { maxRetries: 2, timeoutMs: 2000 },
      { planStreaming: false },
    );
    const { state, events } = await t.runToEnd({ goal: GOAL });

    expect(state.finalAnswer).toContain(RATIO);
    const planner = t.requestsOf("planner");
    expect(planner.map((r) => [r.status, r.outcome])).toEqual([
      [200, "truncated"],
      [200, "json_content"],
    ]);
    // The retry happened inside the client: the graph saw one valid plan and no invalid one.
    expect(events.filter((e) => e.type === "plan_invalid")).toHaveLength(0);
    expect(state.planAttempts).toBe(1);
  });

  it("sends a cut-off planner answer back to the planner as a repairable problem when the client does not retry", async () => {
    const t = await setup(
      { planner: [{ truncated: true, json: PLAN }] },
      { maxRetries: 0, timeoutMs: 2000 },
      { planStreaming: false },
    );
    const { state, events } = await t.runToEnd({ goal: GOAL });

    expect(state.finalAnswer).toContain(RATIO);
    const invalid = events.filter((e) => e.type === "plan_invalid");
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ attempt: 1 });
    expect(JSON.stringify(invalid[0])).toMatch(/could not be read as the plan schema.*length limit/);
    const planner = t.requestsOf("planner");
    expect(planner).toHaveLength(2);
    expect(messageText(planner[1]!.body, "user")).toMatch(/Problems to fix:[\s\S]*length limit/);
  });

  it("a streamed planner answer that breaks off goes back to the planner, the steps that ran early kept", async () => {
    const t = await setup({ planner: [{ truncated: true, json: PLAN, how: "connection" }] });
    const { state, events } = await t.runToEnd({ goal: GOAL });

    expect(state.finalAnswer).toContain(RATIO);
    const invalid = events.filter((e) => e.type === "plan_invalid");
    expect(invalid).toHaveLength(1);
    expect(JSON.stringify(invalid[0])).toMatch(/broke off after \d+ characters|never closed/);
    const planner = t.requestsOf("planner");
    expect(planner.map((r) => r.body?.stream)).toEqual([true, true]);
    // Whatever ran before the break ran once: searches are counted per call.
    expect(t.counts.search).toBeLessThanOrEqual(3);
  });

  it("ends with an error in state, not a crash, when every planner answer is cut off", async () => {
    const cut: FakeReply = { truncated: true, json: PLAN };
    const t = await setup(
      { planner: [cut, cut] },
      { maxRetries: 0, timeoutMs: 2000 },
      { maxPlanAttempts: 2, planStreaming: false },
    );
    const { state, events } = await t.runToEnd({ goal: GOAL });

    expect(state.finalAnswer).toBeNull();
    expect(state.error).toMatch(/did not produce a valid plan in 2 attempts.*length limit/);
    expect(events.at(-1)).toMatchObject({ type: "run_failed" });
    expect(t.counts).toEqual({});
    expect(t.server.chatRequests.map((r) => roleOf(r.body))).toEqual(["planner", "planner"]);
  });
});
