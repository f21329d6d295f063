import { Command, END, MemorySaver, START, StateGraph, StateSchema } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createPlanExecuteAgent,
  PlanExecuteOptionsError,
  type PlanExecuteAgent,
  type PlanExecuteAgentOptions,
} from "../../src/agent/agent.js";
import { createPlanExecuteTool } from "../../src/agent/agent-tool.js";
import type { PlanExecuteContext } from "../../src/core/settings.js";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { scriptedRoles } from "../../src/testing/scripted.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { plan, type Script } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const lookup = () => fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => `value of ${a.key}`);
const write = () =>
  fakeTool("write", z.object({ text: z.string() }).strict(), (a) => `wrote ${a.text}`, "MEDIUM");

const twoSteps = plan(
  { id: "a", tool: "lookup", args: { key: "x" } },
  { id: "w", tool: "write", args: { text: "{{a.output}}" }, depends_on: ["a"] },
);

function factoryAgent(script: Script, options: Omit<PlanExecuteAgentOptions, "models" | "tools"> = {}) {
  const tools = { lookup: lookup(), write: write() };
  const agent = createPlanExecuteAgent({
    models: scriptedRoles(script),
    tools: new ToolRegistry(Object.values(tools)),
    checkpointer: new MemorySaver(),
    ...options,
  });
  return { agent, ...tools };
}

let threads = 0;

/**
 * One invocation with the context exactly as given (the shared test helper fills in every default,
 * which would hide the agent's defaults), then the thread's state and what it waits for.
 */
async function invoke(
  agent: PlanExecuteAgent,
  input: unknown,
  options: { thread?: string; context?: PlanExecuteContext } = {},
) {
  const thread = options.thread ?? `factory-${++threads}`;
  const config = { configurable: { thread_id: thread } };
  await agent.invoke(input as never, { ...config, ...(options.context ? { context: options.context } : {}) });
  const snapshot = await agent.getState(config);
  const waiting = snapshot.tasks.flatMap((t) => t.interrupts.map((i) => i.value as ApprovalRequest));
  return { state: snapshot.values as PlanExecuteStateType, waiting, thread };
}

describe("createPlanExecuteAgent: policies and limits are the defaults of every run", () => {
  it("policies.autoApprove LOW makes a MEDIUM step stop for approval (without it, the step just runs)", async () => {
    const strict = factoryAgent(
      { planner: [twoSteps], synthesizer: ["done"] },
      { policies: { autoApprove: "LOW" } },
    );
    const first = await invoke(strict.agent, { goal: "g" });
    expect(first.waiting).toEqual([
      {
        type: "step_approval",
        stop: expect.any(String),
        steps: [
          { stepId: "w", tool: "write", risk: "MEDIUM", description: "step w", args: { text: "value of x" } },
        ],
        errors: [],
      },
    ]);
    expect(strict.write.calls).toHaveLength(0);
    // The resume passes no context: the agent's policy still holds, and the approval lets the step run.
    const second = await invoke(strict.agent, new Command({ resume: { action: "approve" } }), {
      thread: first.thread,
    });
    expect(second.state.finalAnswer).toBe("done");
    expect(strict.write.calls).toEqual([{ text: "value of x" }]);
    expect(second.state.audit.map((e) => [e.stepId, e.risk, e.decision])).toEqual([
      ["w", "MEDIUM", "approved"],
    ]);

    const lenient = factoryAgent({ planner: [twoSteps], synthesizer: ["done"] });
    const plain = await invoke(lenient.agent, { goal: "g" });
    expect(plain.waiting).toEqual([]);
    expect(plain.state.finalAnswer).toBe("done");
  });

  it("a per-invocation context overrides a limit of the agent, and leaves its other defaults in force", async () => {
    const script = (): Script => ({ planner: [twoSteps, twoSteps], synthesizer: ["done"] });
    const options = {
      limits: { maxSteps: 1, maxPlanAttempts: 1 },
      policies: { autoApprove: "LOW" as const },
    };

    const limited = factoryAgent(script(), options);
    const refused = await invoke(limited.agent, { goal: "g" });
    expect(refused.state.error).toMatch(/The plan has 2 steps; at most 1 are allowed/);
    expect(limited.lookup.calls).toHaveLength(0);

    const raised = factoryAgent(script(), options);
    const run = await invoke(raised.agent, { goal: "g" }, { context: { maxSteps: 5 } });
    expect(run.state.error).toBeNull();
    expect(run.state.plan.map((s) => s.id)).toEqual(["a", "w"]);
    // autoApprove LOW still comes from the agent: the context only named maxSteps.
    expect(run.waiting.map((w) => w.type)).toEqual(["step_approval"]);
    // The run resolves its settings once when it starts: the agent's defaults under the caller's.
    expect(run.state.settings).toMatchObject({ maxSteps: 5, autoApprove: "LOW" });
  });

  it("settings stored with the run beat the agent's defaults; budget raises beat everything", async () => {
    const { agent, write } = factoryAgent(
      { planner: [twoSteps], synthesizer: ["done"] },
      { policies: { autoApprove: "LOW" }, limits: { maxStepsExecuted: 1 } },
    );
    const first = await invoke(agent, { goal: "g", runSettings: { autoApprove: "MEDIUM" } });
    // MEDIUM is within the run's own autoApprove, so no step approval; the agent's step budget stops it.
    expect(first.waiting).toMatchObject([
      { type: "budget", exceeded: [{ key: "maxStepsExecuted", limit: 1, used: 1 }] },
    ]);
    const second = await invoke(
      agent,
      new Command({ resume: { action: "raise", limits: { maxStepsExecuted: 5 } } }),
      { thread: first.thread },
    );
    expect(second.waiting).toEqual([]);
    expect(second.state.finalAnswer).toBe("done");
    expect(write.calls).toEqual([{ text: "value of x" }]);
  });

  it("policies.toolRisk changes a tool's tier for this agent only", async () => {
    const { agent, lookup: l } = factoryAgent(
      { planner: [plan({ id: "a", tool: "lookup", args: { key: "x" } })], synthesizer: ["done"] },
      { policies: { toolRisk: { lookup: "HIGH" } } },
    );
    const first = await invoke(agent, { goal: "g" });
    expect(first.waiting).toMatchObject([{ type: "step_approval", steps: [{ stepId: "a", risk: "HIGH" }] }]);
    expect(l.calls).toHaveLength(0);
    expect(l.risk).toBe("LOW");
  });

  it("policies.toolRisk keeps every other field of the tool: pinned, its prompt rendering, its plan checks", async () => {
    const checked = {
      ...fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => ({ value: a.key })),
      pinned: true,
      promptText: (output: unknown) => `rendered: ${(output as { value: string }).value}`,
      planIssues: (args: { key: string }) => (args.key === "bad" ? ["key may not be bad"] : []),
    };
    // Over 12 tools: the planner's prompt shows pinned tools in full, the others only as they rank.
    const others = Array.from({ length: 12 }, (_, i) => fakeTool(`other_${i}`, z.object({}), () => i));
    const models = scriptedRoles({
      planner: [
        plan({ id: "a", tool: "lookup", args: { key: "bad" } }),
        plan({ id: "a", tool: "lookup", args: { key: "x" } }),
      ],
      synthesizer: ["done"],
    });
    const agent = createPlanExecuteAgent({
      models,
      tools: new ToolRegistry([checked, ...others]),
      checkpointer: new MemorySaver(),
      policies: { toolRisk: { lookup: "MEDIUM" }, autoApprove: "MEDIUM" },
    });
    const { state } = await invoke(agent, { goal: "an unrelated goal" });
    expect(state.finalAnswer).toBe("done");
    const text = (call: { messages: { content: unknown }[] }) =>
      call.messages.map((m) => String(m.content)).join("\n");
    expect(text(models.planner.calls[0]!)).toContain("- lookup(key: string) [MEDIUM]");
    expect(text(models.planner.calls[1]!)).toContain("key may not be bad");
    expect(text(models.synthesizer.calls[0]!)).toContain("rendered: x");
  });

  it("refuses invalid options at creation with a readable message naming each one", () => {
    const create = (options: Partial<PlanExecuteAgentOptions>) => () =>
      createPlanExecuteAgent({
        models: scriptedRoles(),
        tools: new ToolRegistry([lookup()]),
        ...options,
      } as PlanExecuteAgentOptions);

    expect(create({ limits: { maxSteps: 0 } })).toThrow(
      /^createPlanExecuteAgent: invalid options: limits\.maxSteps: Too small: expected number to be >=1$/,
    );
    expect(create({ policies: { autoApprove: "NONE" as never }, limits: { maxCostUsd: -1 } })).toThrow(
      /policies\.autoApprove: Invalid option: expected one of "LOW"\|"MEDIUM"\|"HIGH"; limits\.maxCostUsd: Too small/,
    );
    // A typo or a setting in the wrong group is refused rather than silently ignored.
    expect(create({ limits: { maxStep: 3 } as never })).toThrow(/limits: Unrecognized key: "maxStep"/);
    expect(create({ limits: { critic: "all" } as never })).toThrow(/limits: Unrecognized key: "critic"/);
    expect(create({ policies: { toolRisk: { nope: "HIGH" } } })).toThrow(
      /policies\.toolRisk\.nope: no tool "nope" \(tools: lookup\)/,
    );
    expect(create({ settings: { retryBaseDelayMs: -5 } })).toThrow(/settings\.retryBaseDelayMs: Too small/);
    expect(create({ limits: { maxSteps: 0 } })).toThrow(PlanExecuteOptionsError);
    expect(create({ limits: { maxSteps: 3, maxTokens: null }, policies: { critic: "all" } })).not.toThrow();
  });
});

describe("createPlanExecuteTool", () => {
  const lookupPlan = plan({ id: "a", tool: "lookup", args: { key: "x" } });

  it("returns the final answer; the run goes to the agent's own checkpointer on a fresh thread", async () => {
    const { agent } = factoryAgent({ planner: [lookupPlan], synthesizer: ["the value is x"] });
    const planExecute = createPlanExecuteTool(agent, { threadId: (goal) => `tool-${goal}` });
    expect(planExecute.name).toBe("plan_and_execute");
    expect(await planExecute.invoke({ goal: "g1" })).toBe("the value is x");
    const saved = await agent.getState({ configurable: { thread_id: "tool-g1" } });
    expect(saved.values.finalAnswer).toBe("the value is x");
  });

  it("runs apart from a calling graph: its own checkpointer and thread, not the caller's", async () => {
    const { agent } = factoryAgent({ planner: [lookupPlan], synthesizer: ["inner answer"] });
    const planExecute = createPlanExecuteTool(agent, { threadId: () => "inner-1" });
    const outerSaver = new MemorySaver();
    const Outer = new StateSchema({ text: z.string().default("") });
    const outer = new StateGraph(Outer)
      .addNode("call", async () => ({ text: String(await planExecute.invoke({ goal: "g" })) }))
      .addEdge(START, "call")
      .addEdge("call", END)
      .compile({ checkpointer: outerSaver });
    const result = await outer.invoke({}, { configurable: { thread_id: "outer-1" } });
    expect(result.text).toBe("inner answer");
    expect((await agent.getState({ configurable: { thread_id: "inner-1" } })).values.finalAnswer).toBe(
      "inner answer",
    );
    const outerNamespaces = new Set<string>();
    for await (const t of outerSaver.list({ configurable: { thread_id: "outer-1" } })) {
      outerNamespaces.add(String(t.config.configurable?.checkpoint_ns ?? ""));
    }
    expect([...outerNamespaces]).toEqual([""]);
  });

  it("reports a stop for a person as a message naming the thread, and the thread can be resumed", async () => {
    const { agent, write } = factoryAgent(
      { planner: [twoSteps], synthesizer: ["written"] },
      { policies: { autoApprove: "LOW" } },
    );
    const planExecute = createPlanExecuteTool(agent, { threadId: () => "waits-1" });
    const message = await planExecute.invoke({ goal: "g" });
    expect(message).toBe(
      "plan_and_execute stopped without an answer: the run waits for a person's decision: approval of step w " +
        '(write, MEDIUM risk). Nothing after that point ran. Thread "waits-1" can be resumed with Command({ resume }).',
    );
    expect(write.calls).toHaveLength(0);
    const resumed = await agent.invoke(new Command({ resume: { action: "approve" } }), {
      configurable: { thread_id: "waits-1" },
    });
    expect(resumed.finalAnswer).toBe("written");
  });

  it("says so when a run would stop but the agent has no checkpointer; a context that never stops runs", async () => {
    const stops = factoryAgent(
      { planner: [twoSteps] },
      { checkpointer: false, policies: { autoApprove: "LOW" } },
    );
    expect(await createPlanExecuteTool(stops.agent).invoke({ goal: "g" })).toMatch(
      /stopped without an answer: the run needs a person's decision, and the agent has no checkpointer/,
    );
    const unattended = factoryAgent(
      { planner: [twoSteps], synthesizer: ["done"] },
      { checkpointer: false, policies: { autoApprove: "LOW" } },
    );
    const planExecute = createPlanExecuteTool(unattended.agent, { context: { autoApprove: "HIGH" } });
    expect(await planExecute.invoke({ goal: "g" })).toBe("done");
  });

  it("reports a run that ends without an answer", async () => {
    const bad = plan({ id: "a", tool: "nope" });
    const { agent } = factoryAgent({ planner: [bad] }, { limits: { maxPlanAttempts: 1 } });
    expect(await createPlanExecuteTool(agent).invoke({ goal: "g" })).toMatch(
      /^plan_and_execute failed without an answer: The planner did not produce a valid plan in 1 attempts/,
    );
  });
});
