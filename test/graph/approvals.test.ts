import { Command } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import { plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const lookup = () => fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => `value of ${a.key}`);
const deploy = () =>
  fakeTool("deploy", z.object({ target: z.string() }).strict(), (a) => `deployed ${a.target}`, "HIGH");
const write = () =>
  fakeTool("write", z.object({ text: z.string() }).strict(), (a) => `wrote ${a.text}`, "MEDIUM");

const requestOf = (interrupts: unknown[]) => (interrupts[0] as { value: ApprovalRequest }).value;
const resume = (value: unknown) => new Command({ resume: value });

describe("plan approval", () => {
  const setup = () => {
    const t = lookup();
    const agent = scriptedAgent(
      {
        planner: [
          plan({ id: "a", tool: "lookup", args: { key: "x" } }),
          plan({ id: "b", tool: "lookup", args: { key: "y" } }),
        ],
        synthesizer: ["done", "done"],
      },
      [t],
    );
    return { ...agent, t };
  };

  it("stops after planning with the validated plan, and runs it once approved", async () => {
    const { agent, t } = setup();
    const first = await run(agent, { goal: "g" }, { context: { approvePlan: "always" } });
    const request = requestOf(first.interrupts);
    expect(request).toMatchObject({ type: "plan_approval", version: 1, errors: [] });
    expect(request.type === "plan_approval" && request.steps.map((s) => [s.id, s.risk])).toEqual([
      ["a", "LOW"],
    ]);
    expect(t.calls).toHaveLength(0);
    const second = await run(agent, resume({ action: "approve" }), { thread: first.thread });
    expect(second.state.finalAnswer).toBe("done");
    expect(t.calls).toEqual([{ key: "x" }]);
  });

  it("refuses an invalid edit with the errors and keeps the stop; runs a valid edit", async () => {
    const { agent, t } = setup();
    const first = await run(agent, { goal: "g" }, { context: { approvePlan: "always" } });
    const bad = await run(
      agent,
      resume({ action: "edit", plan: { steps: [{ id: "e", tool: "nope", args: {} }] } }),
      { thread: first.thread },
    );
    const refused = requestOf(bad.interrupts);
    expect(refused.type).toBe("plan_approval");
    expect(refused.errors.join(" ")).toMatch(/edit refused: e: unknown tool "nope"/);
    expect(t.calls).toHaveLength(0);
    const good = await run(
      agent,
      resume({ action: "edit", plan: { steps: [{ id: "e", tool: "lookup", args: { key: "edited" } }] } }),
      { thread: first.thread },
    );
    expect(good.state.finalAnswer).toBe("done");
    expect(t.calls).toEqual([{ key: "edited" }]);
    expect(good.state.planReview).toEqual({ version: 2, decision: "edited" });
  });

  it("sends a rejection back to the planner with the feedback, then asks again", async () => {
    const { agent, models, t } = setup();
    const first = await run(agent, { goal: "g" }, { context: { approvePlan: "always" } });
    const second = await run(agent, resume({ action: "reject", feedback: "use key y" }), {
      thread: first.thread,
    });
    expect(models.planner.calls[1]?.messages.map((m) => String(m.content)).join("\n")).toContain(
      "A person rejected this plan: use key y",
    );
    const request = requestOf(second.interrupts);
    expect(request.type === "plan_approval" && request.steps.map((s) => s.id)).toEqual(["b"]);
    const third = await run(agent, resume({ action: "approve" }), { thread: first.thread });
    expect(third.state.finalAnswer).toBe("done");
    expect(t.calls).toEqual([{ key: "y" }]);
  });

  it("asks only for plans with MEDIUM or HIGH steps under the risky policy", async () => {
    const { agent } = setup();
    const result = await run(agent, { goal: "g" }, { context: { approvePlan: "risky" } });
    expect(result.interrupts).toHaveLength(0);
    expect(result.state.finalAnswer).toBe("done");
  });
});

describe("step gating by risk tier", () => {
  const setup = (
    planned = plan(
      { id: "a", tool: "lookup", args: { key: "x" } },
      { id: "d", tool: "deploy", args: { target: "{{a.output}}" }, depends_on: ["a"] },
    ),
  ) => {
    const d = deploy();
    const t = lookup();
    const agent = scriptedAgent(
      {
        planner: [planned, plan({ id: "alt", tool: "lookup", args: { key: "instead" } })],
        synthesizer: ["done"],
      },
      [t, d, write()],
    );
    return { ...agent, d, t };
  };

  it("stops before a HIGH tool runs and shows the fully resolved args; runs it once approved", async () => {
    const { agent, d } = setup();
    const first = await run(agent, { goal: "g" });
    expect(d.calls).toHaveLength(0);
    expect(requestOf(first.interrupts)).toEqual({
      stop: expect.any(String),
      type: "step_approval",
      steps: [
        { stepId: "d", tool: "deploy", risk: "HIGH", description: "step d", args: { target: "value of x" } },
      ],
      errors: [],
    });
    const second = await run(agent, resume({ action: "approve" }), { thread: first.thread });
    expect(d.calls).toEqual([{ target: "value of x" }]);
    expect(second.state.finalAnswer).toBe("done");
    expect(second.state.audit.map((e) => [e.stepId, e.decision])).toEqual([["d", "approved"]]);
  });

  it("runs a HIGH step with edited args, and refuses an edit that fails the tool's schema", async () => {
    const { agent, d } = setup();
    const first = await run(agent, { goal: "g" });
    const bad = await run(agent, resume({ stepId: "d", action: "edit", args: { target: 3 } }), {
      thread: first.thread,
    });
    expect(requestOf(bad.interrupts).errors.join(" ")).toMatch(/edit of d refused: target:/);
    expect(d.calls).toHaveLength(0);
    await run(agent, resume({ stepId: "d", action: "edit", args: { target: "staging" } }), {
      thread: first.thread,
    });
    expect(d.calls).toEqual([{ target: "staging" }]);
  });

  it("marks a rejected step rejected and replans around it", async () => {
    const { agent, d, models } = setup();
    const first = await run(agent, { goal: "g" });
    const second = await run(agent, resume({ action: "reject", reason: "not today" }), {
      thread: first.thread,
    });
    expect(d.calls).toHaveLength(0);
    expect(second.state.steps.d).toMatchObject({
      status: "rejected",
      error: "rejected by a person: not today",
    });
    expect(models.planner.calls[1]?.messages.map((m) => String(m.content)).join("\n")).toContain("not today");
    expect(second.state.steps.alt?.status).toBe("succeeded");
    expect(second.state.finalAnswer).toBe("done");
  });

  it("lets LOW and MEDIUM run, writing MEDIUM to the audit log; --auto-approve LOW holds MEDIUM too", async () => {
    const planned = plan({ id: "w", tool: "write", args: { text: "hi" } });
    const { agent } = setup(planned);
    const result = await run(agent, { goal: "g" });
    expect(result.state.steps.w?.status).toBe("succeeded");
    expect(result.state.audit).toEqual([
      expect.objectContaining({
        stepId: "w",
        tool: "write",
        risk: "MEDIUM",
        decision: "ran",
        args: { text: "hi" },
      }),
    ]);
    const strict = setup(planned);
    const held = await run(strict.agent, { goal: "g" }, { context: { autoApprove: "LOW" } });
    expect(requestOf(held.interrupts).type).toBe("step_approval");
  });

  it("treats a tool with no declared tier as HIGH", async () => {
    const bare = { ...lookup(), name: "bare", risk: undefined as never };
    const { agent } = scriptedAgent({ planner: [plan({ id: "b", tool: "bare", args: { key: "k" } })] }, [
      bare,
    ]);
    const result = await run(agent, { goal: "g" });
    expect(requestOf(result.interrupts)).toMatchObject({
      type: "step_approval",
      steps: [{ stepId: "b", risk: "HIGH" }],
    });
  });
});

describe("several approvals at once", () => {
  const setup = () => {
    const d = deploy();
    const t = lookup();
    const agent = scriptedAgent(
      {
        planner: [
          plan(
            { id: "d1", tool: "deploy", args: { target: "eu" } },
            { id: "d2", tool: "deploy", args: { target: "us" } },
            { id: "free", tool: "lookup", args: { key: "k" } },
            { id: "after_d1", tool: "lookup", args: { key: "{{d1.output}}" }, depends_on: ["d1"] },
          ),
        ],
        synthesizer: ["done"],
      },
      [t, d],
    );
    return { ...agent, d, t };
  };

  it("holds both HIGH steps in one stop, each decided on its own, while independent steps run", async () => {
    const { agent, d, t } = setup();
    const first = await run(agent, { goal: "g" });
    const request = requestOf(first.interrupts);
    expect(request.type === "step_approval" && request.steps.map((s) => s.stepId)).toEqual(["d1", "d2"]);
    expect(t.calls).toEqual([{ key: "k" }]); // "free" did not wait

    const second = await run(agent, resume({ stepId: "d2", action: "approve" }), { thread: first.thread });
    expect(d.calls).toEqual([{ target: "us" }]);
    const still = requestOf(second.interrupts);
    expect(still.type === "step_approval" && still.steps.map((s) => s.stepId)).toEqual(["d1"]);

    const third = await run(agent, resume({ stepId: "d1", action: "approve" }), { thread: first.thread });
    expect(d.calls).toEqual([{ target: "us" }, { target: "eu" }]);
    expect(t.calls).toEqual([{ key: "k" }, { key: "deployed eu" }]);
    expect(third.state.finalAnswer).toBe("done");
  });

  it("refuses a decision for an unknown or already-decided step as a whole, and runs nothing", async () => {
    const { agent, d } = setup();
    const first = await run(agent, { goal: "g" });
    const ambiguous = await run(agent, resume({ action: "approve" }), { thread: first.thread });
    expect(requestOf(ambiguous.interrupts).errors.join(" ")).toMatch(
      /2 steps are waiting \(d1, d2\): say which one/,
    );
    const unknown = await run(
      agent,
      resume({ decisions: { d1: { action: "approve" }, ghost: { action: "approve" } } }),
      { thread: first.thread },
    );
    expect(requestOf(unknown.interrupts).errors).toEqual([
      "ghost is not a step of this plan; nothing was applied.",
    ]);
    expect(d.calls).toHaveLength(0);
    const second = await run(agent, resume({ stepId: "d2", action: "approve" }), { thread: first.thread });
    expect(d.calls).toHaveLength(1);
    const stale = await run(agent, resume({ stepId: "d2", action: "reject" }), { thread: second.thread });
    expect(requestOf(stale.interrupts).errors).toEqual(["d2 is already approved; nothing was applied."]);
    expect(stale.state.steps.d2?.status).toBe("succeeded");
    expect(d.calls).toHaveLength(1);
  });
});

describe("budget gate", () => {
  const setup = () => {
    const t = lookup();
    const agent = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "lookup", args: { key: "x" } },
            { id: "b", tool: "lookup", args: { key: "y" } },
            { id: "c", tool: "lookup", args: { key: "z" }, depends_on: ["a"] },
          ),
        ],
        synthesizer: ["answer"],
      },
      [t],
    );
    return { ...agent, t };
  };

  it("stops when the step budget is used up, and goes on after the limit is raised", async () => {
    const { agent, t } = setup();
    const first = await run(agent, { goal: "g" }, { context: { maxStepsExecuted: 2, maxConcurrency: 1 } });
    expect(t.calls).toHaveLength(2);
    expect(requestOf(first.interrupts)).toMatchObject({
      type: "budget",
      exceeded: [{ key: "maxStepsExecuted", limit: 2, used: 2 }],
    });
    const tooLow = await run(agent, resume({ action: "raise", limits: { maxStepsExecuted: 2 } }), {
      thread: first.thread,
    });
    expect(requestOf(tooLow.interrupts).errors).toEqual([
      "maxStepsExecuted must be raised above 2 (now 2); nothing was changed.",
    ]);
    const raised = await run(agent, resume({ action: "raise", limits: { maxStepsExecuted: 5 } }), {
      thread: first.thread,
    });
    expect(t.calls).toHaveLength(3);
    expect(raised.state.finalAnswer).toBe("answer");
  });

  it("stops on the token budget and finishes now with a partial answer when asked", async () => {
    const { agent, models, t } = setup();
    const first = await run(agent, { goal: "g" }, { context: { maxTokens: 10 } });
    const request = requestOf(first.interrupts);
    expect(request.type === "budget" && request.exceeded[0]?.key).toBe("maxTokens");
    expect(t.calls).toHaveLength(0);
    const done = await run(agent, resume({ action: "finish" }), { thread: first.thread });
    expect(done.state.finalAnswer).toBe("answer");
    expect(models.synthesizer.calls[0]?.messages.map((m) => String(m.content)).join("\n")).toContain(
      "did NOT complete",
    );
  });

  it("estimates cost from per-model prices", async () => {
    const { agent } = setup();
    // Scripted models answer as "planner" etc.: price them so the planner's call alone passes the limit.
    const prices = { planner: { inputPerMTok: 1_000_000, outputPerMTok: 1_000_000 } };
    const first = await run(agent, { goal: "g" }, { context: { maxCostUsd: 1, prices } });
    const request = requestOf(first.interrupts);
    expect(request.type === "budget" && request.exceeded.map((e) => e.key)).toEqual(["maxCostUsd"]);
  });
});
