import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import type { PlanExecuteContext } from "../../src/core/settings.js";
import type { ScriptedChatModel } from "../../src/testing/scripted.js";
import { llmTool } from "../../src/tools/llm.js";
import { eventsOf, plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "pe-subagent-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CTX: PlanExecuteContext = { maxAnswerRevisions: 0, maxReplans: 0 };

const lookup = () => fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => `value of ${a.key}`);
const deploy = () =>
  fakeTool("deploy", z.object({ target: z.string() }).strict(), (a) => `deployed ${a.target}`, "HIGH");
const calls = (...c: { name: string; args: Record<string, unknown> }[]) => ({ toolCalls: c });
const requestOf = (interrupts: unknown[]) => (interrupts[0] as { value: ApprovalRequest }).value;
const resume = (value: unknown) => new Command({ resume: value });
const promptOf = (m: ScriptedChatModel, call: number) =>
  m.calls[call]?.messages.map((x) => String(x.content)).join("\n") ?? "";

/** One llm step `w` that may call the tools named. */
const agentPlan = (...tools: string[]) => plan({ id: "w", tool: "llm", args: { prompt: "find out", tools } });

describe("llm steps as tool-calling sub-agents", () => {
  it("calls an allowlisted tool, gives the model the result, and answers; the calls are recorded", async () => {
    const l = lookup();
    const { agent, models } = scriptedAgent(
      {
        planner: [agentPlan("lookup")],
        executor: [calls({ name: "lookup", args: { key: "rate" } }), "the rate is: value of rate"],
        synthesizer: ["done"],
      },
      [llmTool, l],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: CTX });
    expect(state.error).toBeNull();
    expect(l.calls).toEqual([{ key: "rate" }]);
    expect(models.executor.calls[0]?.tools).toEqual(["lookup"]);
    expect(promptOf(models.executor, 1)).toContain("value of rate");
    expect(state.steps.w).toMatchObject({ status: "succeeded", output: "the rate is: value of rate" });
    expect(state.steps.w?.subAgentCalls).toEqual([
      expect.objectContaining({
        turn: 1,
        call: 1,
        tool: "lookup",
        args: { key: "rate" },
        risk: "LOW",
        decision: "ran",
        ok: true,
        output: "value of rate",
      }),
    ]);
    expect(eventsOf(events, "subagent_call")).toEqual([
      expect.objectContaining({ stepId: "w", tool: "lookup", decision: "ran", ok: true }),
    ]);
    expect(state.usage.executor?.calls).toBe(2);
  });

  it("refuses a tool outside the allowlist and tells the model; the tool never runs", async () => {
    const l = lookup();
    const d = deploy();
    const { agent, models } = scriptedAgent(
      {
        planner: [agentPlan("lookup")],
        executor: [calls({ name: "deploy", args: { target: "prod" } }), "I could not deploy"],
        synthesizer: ["done"],
      },
      [llmTool, l, d],
    );
    const { state } = await run(agent, { goal: "g" }, { context: CTX });
    expect(d.calls).toEqual([]);
    expect(promptOf(models.executor, 1)).toContain(
      'error: the tool "deploy" is not allowed in this step; allowed: lookup',
    );
    expect(state.steps.w?.subAgentCalls?.[0]).toMatchObject({
      tool: "deploy",
      decision: "refused",
      ok: false,
    });
    expect(state.steps.w?.status).toBe("succeeded");
  });

  it("a model that keeps calling tools is ended by the turn bound, and the step fails saying so", async () => {
    const l = lookup();
    const { agent, models } = scriptedAgent(
      {
        planner: [agentPlan("lookup")],
        executor: [
          calls({ name: "lookup", args: { key: "a" } }),
          calls({ name: "lookup", args: { key: "b" } }),
        ],
        synthesizer: ["partial"],
      },
      [llmTool, l],
    );
    const { state } = await run(
      agent,
      { goal: "g" },
      { context: { ...CTX, maxSubAgentTurns: 2, maxRetries: 0 } },
    );
    expect(models.executor.callCount).toBe(2);
    expect(l.calls).toHaveLength(2);
    expect(state.steps.w).toMatchObject({
      status: "failed",
      error: expect.stringContaining("still calling tools after 2 turns (maxSubAgentTurns)"),
    });
  });

  it("an unknown tool or llm itself in the allowlist is refused at plan validation", async () => {
    const { agent } = scriptedAgent(
      {
        planner: [agentPlan("nope"), agentPlan("llm"), agentPlan("lookup")],
        executor: ["fine"],
        synthesizer: ["done"],
      },
      [llmTool, lookup()],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: CTX });
    const issues = eventsOf(events, "plan_invalid").map((e) => e.issues.join(" "));
    expect(issues[0]).toContain('unknown tool "nope" in the allowlist');
    expect(issues[1]).toContain("an llm step cannot call llm");
    expect(state.finalAnswer).toBe("done");
  });
});

const checkpointers: [string, () => BaseCheckpointSaver][] = [
  ["memory", () => new MemorySaver()],
  ["sqlite", () => SqliteSaver.fromConnString(join(dir, `${Math.random()}.sqlite`))],
];

describe.each(checkpointers)("a sub-agent's risky calls (%s)", (name, makeSaver) => {
  it("a HIGH call stops for approval bound to that call; a resume repeats no finished turn or call", async () => {
    const l = lookup();
    const d = deploy();
    const { agent, models } = scriptedAgent(
      {
        planner: [agentPlan("lookup", "deploy")],
        executor: [
          calls({ name: "lookup", args: { key: "target" } }),
          calls({ name: "deploy", args: { target: "staging" } }),
          calls({ name: "deploy", args: { target: "prod" } }),
          "deployed both",
        ],
        synthesizer: ["done"],
      },
      [llmTool, l, d],
      makeSaver(),
    );
    const thread = `subagent-${name}`;
    const first = await run(agent, { goal: "g" }, { thread, context: CTX });
    const request = requestOf(first.interrupts);
    expect(request).toMatchObject({
      type: "step_approval",
      steps: [{ stepId: "w", tool: "deploy", risk: "HIGH", args: { target: "staging" } }],
    });
    expect(d.calls).toEqual([]);
    expect(l.calls).toHaveLength(1);

    // A decision for another stop is refused; the call still waits.
    const stale = await run(agent, resume({ stop: "0000000000000000", action: "approve" }), { thread });
    expect(requestOf(stale.interrupts).errors[0]).toMatch(/^stale decision/);
    expect(d.calls).toEqual([]);

    const second = await run(agent, resume({ stop: request.stop, action: "approve" }), { thread });
    const next = requestOf(second.interrupts);
    expect(next.stop).not.toBe(request.stop);
    expect(next).toMatchObject({ steps: [{ tool: "deploy", args: { target: "prod" } }] });
    expect(d.calls).toEqual([{ target: "staging" }]);

    const third = await run(agent, resume({ stop: next.stop, action: "reject", reason: "not prod" }), {
      thread,
    });
    expect(third.state.error).toBeNull();
    expect(third.state.finalAnswer).toBe("done");
    // Each turn and each call ran once, across three resumes.
    expect(models.executor.callCount).toBe(4);
    expect(l.calls).toHaveLength(1);
    expect(d.calls).toEqual([{ target: "staging" }]);
    expect(promptOf(models.executor, 3)).toContain("error: rejected by a person: not prod");
    expect(third.state.steps.w?.subAgentCalls?.map((c) => [c.tool, c.decision])).toEqual([
      ["lookup", "ran"],
      ["deploy", "approved"],
      ["deploy", "rejected"],
    ]);
    expect(third.state.steps.w?.status).toBe("succeeded");
    expect(third.state.audit.map((a) => [a.stepId, a.tool, a.decision, a.args])).toEqual([
      ["w", "deploy", "approved", { target: "staging" }],
      ["w", "deploy", "rejected", { target: "prod" }],
    ]);
    expect(third.state.usage.executor?.calls).toBe(4);
  });
});

describe("the CLI shows a sub-agent's calls", () => {
  it("renders subagent_call", async () => {
    const { ProgressRenderer } = await import("../../src/cli/render.js");
    let text = "";
    const r = new ProgressRenderer({ write: (t) => (text += t) }, { colors: false });
    const at = Date.now();
    r.event({
      type: "subagent_call",
      at,
      stepId: "w",
      turn: 1,
      call: 1,
      tool: "lookup",
      decision: "ran",
      ok: true,
      error: null,
    });
    r.event({
      type: "subagent_call",
      at,
      stepId: "w",
      turn: 2,
      call: 2,
      tool: "deploy",
      decision: "rejected",
      ok: false,
      error: "rejected by a person",
    });
    expect(text).toContain("↳ w call 1 (turn 1) lookup");
    expect(text).toContain("↳ w call 2 (turn 2) deploy rejected rejected by a person");
  });
});
