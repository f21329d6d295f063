import { spawn } from "node:child_process";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import { Command, MemorySaver } from "@langchain/langgraph";
import { Client } from "langsmith";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPlanExecuteAgent } from "../../src/agent/agent.js";
import { resolveSettings } from "../../src/core/settings.js";
import { ScriptedChatModel, scriptedRoles } from "../../src/testing/scripted.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { calculatorTool } from "../../src/tools/calculator.js";
import { TransientToolError } from "../../src/tools/types.js";
import { plan, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";
import { startCaptureServer, type CaptureServer, type CapturedRun } from "./capture-server.js";
import { fixture } from "../helpers/fixtures.js";

let server: CaptureServer;
beforeEach(async () => {
  server = await startCaptureServer();
});
afterEach(() => server.close());

/** A tracer that posts to the capture server, as `LANGSMITH_TRACING=true` would post to LangSmith. */
function tracerFor(url: string) {
  const client = new Client({ apiUrl: url, apiKey: "test-key" });
  return { client, tracer: new LangChainTracer({ client, projectName: "trace-test" }) };
}

/** Waits until every callback has run and the client has sent every batch. */
async function flush(client: Client): Promise<void> {
  await awaitAllCallbacks();
  await client.awaitPendingTraceBatches();
}

const meta = (run: CapturedRun | undefined) => run?.extra?.metadata ?? {};
const named = (runs: CapturedRun[], name: string) => runs.filter((r) => r.name === name);
const one = (runs: CapturedRun[], name: string): CapturedRun => {
  const found = named(runs, name);
  expect(found, `exactly one run named "${name}"`).toHaveLength(1);
  return found[0] as CapturedRun;
};
const childrenOf = (runs: CapturedRun[], parent: CapturedRun) =>
  runs.filter((r) => r.parent_run_id === parent.id).map((r) => r.name);

/** A calculator step, then a MEDIUM step that fails once with a transient error and is retried. */
function calculatorThenFlaky() {
  let calls = 0;
  const flaky = fakeTool(
    "flaky",
    z.object({ n: z.number() }).strict(),
    (a) => {
      calls += 1;
      if (calls === 1) throw new TransientToolError("busy, try again");
      return a.n + 1;
    },
    "MEDIUM",
  );
  return scriptedAgent(
    {
      planner: [
        plan(
          { id: "step_1", tool: "calculator", args: { expression: "6 * 7" } },
          { id: "step_2", tool: "flaky", args: { n: "{{step_1.output}}" }, depends_on: ["step_1"] },
        ),
      ],
      synthesizer: ["43"],
    },
    [calculatorTool, flaky],
  );
}

describe("LangSmith tracing", () => {
  it("posts node runs, a run per step with its metadata, and a tool run per attempt", async () => {
    const { client, tracer } = tracerFor(server.url);
    const { agent } = calculatorThenFlaky();
    const result = await agent.invoke(
      { goal: "what is 6 * 7, plus one?" },
      {
        configurable: { thread_id: "trace-1" },
        context: resolveSettings({ retryBaseDelayMs: 1 }),
        callbacks: [tracer],
      },
    );
    expect(result.finalAnswer).toBe("43");
    await flush(client);

    const runs = server.runs();
    expect(server.requests).toContain("POST /runs/batch");
    expect(
      [...server.creates.values()].every((n) => n === 1),
      "every run is created once",
    ).toBe(true);
    const root = one(
      runs.filter((r) => !r.parent_run_id),
      "LangGraph",
    );
    expect(runs.every((r) => r.trace_id === root.id && r.end_time !== undefined)).toBe(true);
    expect(runs.every((r) => meta(r).thread_id === "trace-1")).toBe(true);

    // One run per node, named after it, directly under the graph run.
    const nodes = ["planner", "executor", "evaluator", "synthesizer"];
    for (const node of nodes) expect(one(runs, node).parent_run_id).toBe(root.id);
    const executor = one(runs, "executor");

    // The step tasks: named `<step> · <tool>`, in the executor's superstep, with the step's metadata.
    const step1 = one(runs, "step_1 · calculator");
    const step2 = one(runs, "step_2 · flaky");
    for (const step of [step1, step2]) {
      expect(step.parent_run_id).toBe(root.id);
      expect(meta(step).langgraph_step).toBe(meta(executor).langgraph_step);
    }
    expect(meta(step1)).toMatchObject({
      thread_id: "trace-1",
      step_id: "step_1",
      tool: "calculator",
      risk: "LOW",
      plan_version: 1,
      depends_on: [],
      step_status: "succeeded",
      attempts: 1,
    });
    expect(meta(step2)).toMatchObject({
      step_id: "step_2",
      tool: "flaky",
      risk: "MEDIUM",
      plan_version: 1,
      depends_on: ["step_1"],
      step_status: "succeeded",
      attempts: 2,
    });

    // A tool run per attempt, nested in its step run, with the resolved args in and the output out.
    expect(childrenOf(runs, step1)).toEqual(["step_1 · calculator #1"]);
    const calc = one(runs, "step_1 · calculator #1");
    expect(calc).toMatchObject({
      run_type: "tool",
      inputs: { expression: "6 * 7" },
      outputs: { output: 42 },
    });
    expect(meta(calc)).toMatchObject({ thread_id: "trace-1", step_id: "step_1", risk: "LOW", attempt: 1 });

    expect(childrenOf(runs, step2).sort()).toEqual(["step_2 · flaky #1", "step_2 · flaky #2"]);
    const [first, second] = [one(runs, "step_2 · flaky #1"), one(runs, "step_2 · flaky #2")];
    expect(first).toMatchObject({ run_type: "tool", inputs: { n: 42 } });
    expect(first.error).toContain("busy, try again");
    expect(first.outputs).toBeUndefined();
    expect(meta(first)).toMatchObject({ step_id: "step_2", tool: "flaky", risk: "MEDIUM", attempt: 1 });
    expect(second).toMatchObject({ run_type: "tool", inputs: { n: 42 }, outputs: { output: 43 } });
    expect(second.error ?? null).toBeNull();
    expect(meta(second)).toMatchObject({ step_id: "step_2", risk: "MEDIUM", attempt: 2 });
  });

  it("traces a step the streaming planner started early like any other, marked early", async () => {
    const { client, tracer } = tracerFor(server.url);
    const models = scriptedRoles({
      synthesizer: ["42"],
    });
    // The planner streams its answer, so step_1 (LOW, complete, no dependencies) starts before the
    // plan is complete.
    models.planner = new ScriptedChatModel({
      name: "planner",
      tokensPerSecond: 400,
      replies: [
        plan(
          { id: "step_1", tool: "calculator", args: { expression: "6 * 7" } },
          {
            id: "step_2",
            tool: "calculator",
            args: { expression: "{{step_1.output}} + 0" },
            depends_on: ["step_1"],
          },
        ),
      ],
    });
    const agent = createPlanExecuteAgent({
      models,
      tools: new ToolRegistry([calculatorTool]),
      checkpointer: new MemorySaver(),
    });
    const result = await agent.invoke(
      { goal: "6 x 7" },
      { configurable: { thread_id: "trace-early" }, callbacks: [tracer] },
    );
    expect(result.finalAnswer).toBe("42");
    await flush(client);
    const runs = server.runs();
    const early = runs.filter((r) => r.name.startsWith("step_1 · calculator · early"));
    expect(early).toHaveLength(1);
    expect(meta(early[0])).toMatchObject({
      thread_id: "trace-early",
      step_id: "step_1",
      tool: "calculator",
      risk: "LOW",
      plan_version: 1,
      depends_on: [],
      early: true,
      step_status: "succeeded",
      attempts: 1,
    });
    // step_2 (LOW, its dependency already emitted) started early too, and waited inside for step_1.
    const second = runs.filter((r) => r.name.startsWith("step_2 · calculator · early"));
    expect(second).toHaveLength(1);
    expect(meta(second[0])).toMatchObject({ depends_on: ["step_1"], early: true, step_status: "succeeded" });
  });

  it("traces a step that waits for approval with no tool run, and the approved run in the next trace", async () => {
    const { client, tracer } = tracerFor(server.url);
    const deploy = fakeTool("deploy", z.object({ target: z.string() }).strict(), () => "deployed", "HIGH");
    const { agent } = scriptedAgent(
      {
        planner: [plan({ id: "ship", tool: "deploy", args: { target: "prod" } })],
        synthesizer: ["shipped"],
      },
      [deploy],
    );
    const config = { configurable: { thread_id: "trace-approval" }, callbacks: [tracer] };
    const paused = await agent.invoke({ goal: "ship it" }, config);
    expect((paused as { __interrupt__?: unknown[] }).__interrupt__).toHaveLength(1);
    await flush(client);
    const [waiting] = named(server.runs(), "ship · deploy");
    expect(meta(waiting)).toMatchObject({
      thread_id: "trace-approval",
      step_id: "ship",
      risk: "HIGH",
      step_status: "awaiting_approval",
    });
    expect(meta(waiting)).not.toHaveProperty("attempts");
    expect(childrenOf(server.runs(), waiting as CapturedRun)).toEqual([]);

    const done = await agent.invoke(
      new Command({ resume: { decisions: { ship: { action: "approve" } } } }),
      config,
    );
    expect(done.finalAnswer).toBe("shipped");
    await flush(client);
    const runs = server.runs();
    const ran = named(runs, "ship · deploy").find((r) => r.id !== waiting?.id) as CapturedRun;
    expect(ran.trace_id).not.toBe(waiting?.trace_id);
    expect(meta(ran)).toMatchObject({ thread_id: "trace-approval", step_status: "succeeded", attempts: 1 });
    const tool = one(runs, "ship · deploy #1");
    expect(tool).toMatchObject({
      parent_run_id: ran.id,
      inputs: { target: "prod" },
      outputs: { output: "deployed" },
    });
    expect(meta(tool)).toMatchObject({ step_id: "ship", risk: "HIGH", attempt: 1 });
  });

  it("traces from the environment alone (LANGSMITH_TRACING, LANGSMITH_ENDPOINT) in a fresh process", async () => {
    await server.close();
    // Multipart ingest: what the client uses against LangSmith itself.
    server = await startCaptureServer({ multipart: true });
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(LANGSMITH|LANGCHAIN)_/.test(k)),
    );
    const child = fixture("trace-child");
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      const proc = spawn(process.execPath, [child, "trace-env"], {
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...env,
          LANGSMITH_TRACING: "true",
          LANGSMITH_ENDPOINT: server.url,
          LANGSMITH_API_KEY: "test-key",
          LANGSMITH_PROJECT: "plan-execute-e2e",
        },
      });
      let out = "";
      let err = "";
      proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
      proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
      proc.on("exit", (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ finalAnswer: "42" });

    expect(server.requests).toContain("GET /info");
    expect(server.requests).toContain("POST /runs/multipart");
    const runs = server.runs();
    const root = one(runs, "LangGraph");
    expect(root).toMatchObject({ session_name: "plan-execute-e2e" });
    expect(meta(root).thread_id).toBe("trace-env");
    for (const node of ["planner", "executor", "evaluator", "synthesizer"])
      expect(one(runs, node).parent_run_id).toBe(root.id);
    const step1 = one(runs, "step_1 · calculator");
    expect(meta(step1)).toMatchObject({
      thread_id: "trace-env",
      step_id: "step_1",
      risk: "LOW",
      attempts: 1,
    });
    expect(one(runs, "step_1 · calculator #1")).toMatchObject({
      parent_run_id: step1.id,
      run_type: "tool",
      inputs: { expression: "6 * 7" },
      outputs: { output: 42 },
    });
    const step2 = one(runs, "step_2 · flaky");
    expect(meta(step2)).toMatchObject({ risk: "MEDIUM", attempts: 2 });
    expect(childrenOf(runs, step2).sort()).toEqual(["step_2 · flaky #1", "step_2 · flaky #2"]);
    expect(meta(one(runs, "step_2 · flaky #1"))).toMatchObject({ step_id: "step_2", attempt: 1 });
    expect(one(runs, "step_2 · flaky #1").error).toContain("busy, try again");
    expect(meta(one(runs, "step_2 · flaky #2"))).toMatchObject({ step_id: "step_2", attempt: 2 });
  });
});
