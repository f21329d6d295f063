import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { resolveSettings, type PlanExecuteContext } from "../../src/core/settings.js";
import type { PlanCheck, StepRecord } from "../../src/core/state.js";
import { routeAfterEvaluation } from "../../src/graph/routing.js";
import { createReplannerNode } from "../../src/nodes/replanner.js";
import { ScriptedChatModel } from "../../src/testing/scripted.js";
import { llmTool } from "../../src/tools/llm.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { eventsOf, plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "pe-signal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Dynamic replanning on, the answer review off: these tests are about the plan. */
const SIGNAL: PlanExecuteContext = { replan: "on_signal", maxAnswerRevisions: 0 };

const fits = (ok: boolean, reason: string) => ({ structured: { fits: ok, reason } });
const echo = () => fakeTool("echo", z.object({ text: z.string() }).strict(), (a) => `echo: ${a.text}`);
const promptOf = (m: ScriptedChatModel, call: number) =>
  m.calls[call]?.messages.map((x) => String(x.content)).join("\n") ?? "";

/** a and i run first (i needs nothing); b needs a. */
const forkPlan = () =>
  plan(
    { id: "a", tool: "echo", args: { text: "a" } },
    { id: "i", tool: "echo", args: { text: "i" } },
    { id: "b", tool: "echo", args: { text: "{{a.output}}" }, depends_on: ["a"] },
  );
/** a → b → c. */
const chain = () =>
  plan(
    { id: "a", tool: "echo", args: { text: "a" } },
    { id: "b", tool: "echo", args: { text: "b" }, depends_on: ["a"] },
    { id: "c", tool: "echo", args: { text: "c" }, depends_on: ["b"] },
  );

describe("dynamic replanning (replan: on_signal)", () => {
  it("a judgement that the rest no longer fits rewrites only the unfinished steps, with the reason", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          forkPlan(),
          plan({ id: "d", tool: "echo", args: { text: "{{a.output}} in euros" }, depends_on: ["a"] }),
        ],
        evaluator: [fits(false, "a shows the figures are in euros; b assumes dollars")],
        synthesizer: ["done"],
      },
      [e],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: SIGNAL });
    expect(state.error).toBeNull();
    // b never ran: it waited for the judgement after a, and the rewrite dropped it.
    expect(e.calls.map((c) => c.text)).toEqual(["a", "i", "echo: a in euros"]);
    expect(state.plan.map((s) => s.id)).toEqual(["a", "i", "d"]);
    expect(state.steps.b).toMatchObject({ status: "skipped", error: "dropped by the replanner" });
    expect(state.steps.a?.attempts).toBe(1);
    expect(state.replans).toBe(1);
    expect(state.replanSignal).toBeNull();
    expect(state.planChecks).toEqual([
      expect.objectContaining({
        after: ["a", "i"],
        planVersion: 1,
        verdict: "replan",
        reason: "a shows the figures are in euros; b assumes dollars",
        note: null,
      }),
    ]);
    // The replanner was told why, and that nothing failed.
    expect(promptOf(models.planner, 1)).toContain(
      "after a, i finished the remaining steps were judged not to fit what was learned: a shows the figures",
    );
    expect(eventsOf(events, "plan_checked")).toEqual([
      expect.objectContaining({ after: ["a", "i"], verdict: "replan" }),
    ]);
    expect(eventsOf(events, "replanned")).toEqual([
      expect.objectContaining({ replan: 1, failed: [], signal: expect.stringContaining("euros") }),
    ]);
    // After d nothing is left to rewrite: no further judgement.
    expect(models.evaluator.callCount).toBe(1);
    expect(state.usage.evaluator?.calls).toBe(1);
  });

  it("on_failure (the default) asks no judgement and does not hold dependents back", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent({ planner: [forkPlan()], synthesizer: ["done"] }, [e]);
    const { state, events } = await run(agent, { goal: "g" }, { context: { maxAnswerRevisions: 0 } });
    expect(state.finalAnswer).toBe("done");
    expect(models.evaluator.callCount).toBe(0);
    expect(state.planChecks).toEqual([]);
    expect(eventsOf(events, "plan_checked")).toEqual([]);
    expect(e.calls).toHaveLength(3);
  });

  it("a plan that still fits runs on: one judgement per pass that leaves steps to run, none after the last", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      {
        planner: [chain()],
        evaluator: [fits(true, "on track"), fits(true, "still on track")],
        synthesizer: ["done"],
      },
      [e],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: SIGNAL });
    expect(e.calls.map((c) => c.text)).toEqual(["a", "b", "c"]);
    expect(models.evaluator.callCount).toBe(2);
    expect(state.planChecks.map((c: PlanCheck) => [c.after, c.verdict])).toEqual([
      [["a"], "fits"],
      [["b"], "fits"],
    ]);
    expect(state.replans).toBe(0);
    expect(eventsOf(events, "replanned")).toEqual([]);
    // The judge saw the finished outputs and the steps still to run.
    expect(promptOf(models.evaluator, 0)).toContain("[a] (just finished) step a\necho: a");
    expect(promptOf(models.evaluator, 0)).toContain('"id": "c"');
  });

  it("is bounded by maxReplans: once they are used up no judgement is asked", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          chain(),
          plan(
            { id: "b2", tool: "echo", args: { text: "b2" }, depends_on: ["a"] },
            { id: "c2", tool: "echo", args: { text: "c2" }, depends_on: ["b2"] },
          ),
        ],
        evaluator: [fits(false, "b is the wrong source")],
        synthesizer: ["done"],
      },
      [e],
    );
    const { state } = await run(agent, { goal: "g" }, { context: { ...SIGNAL, maxReplans: 1 } });
    expect(e.calls.map((c) => c.text)).toEqual(["a", "b2", "c2"]);
    expect(models.evaluator.callCount).toBe(1);
    expect(state.replans).toBe(1);
    expect(state.plan.map((s) => s.id)).toEqual(["a", "b2", "c2"]);
  });

  it("maxReplans 0 turns the judgement off", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent({ planner: [chain()], synthesizer: ["done"] }, [e]);
    const { state } = await run(agent, { goal: "g" }, { context: { ...SIGNAL, maxReplans: 0 } });
    expect(state.finalAnswer).toBe("done");
    expect(models.evaluator.callCount).toBe(0);
  });

  it("a judgement that does not parse is asked again once; then the plan is kept and the run says why", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      {
        planner: [forkPlan()],
        evaluator: [{ structured: { fits: "maybe" } }, { structured: { verdict: "?" } }],
        synthesizer: ["done"],
      },
      [e],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: SIGNAL });
    expect(state.error).toBeNull();
    expect(models.evaluator.callCount).toBe(2);
    expect(promptOf(models.evaluator, 1)).toMatch(/Your last answer could not be read: .*plan_fit schema/);
    expect(e.calls.map((c) => c.text)).toEqual(["a", "i", "echo: a"]);
    expect(state.replans).toBe(0);
    expect(state.planChecks[0]).toMatchObject({ verdict: "unreadable", reason: "" });
    expect(state.planChecks[0]?.note).toMatch(
      /^the evaluator's judgement could not be read after 2 attempts \(.*\); the plan was kept as it is$/,
    );
    expect(eventsOf(events, "plan_checked")[0]).toMatchObject({ verdict: "unreadable" });
  });

  it("an empty rewrite keeps the remaining steps; an invalid one, after maxPlanAttempts, keeps them too", async () => {
    const e = echo();
    const { agent } = scriptedAgent(
      {
        planner: [chain(), { structured: { steps: [] } }],
        evaluator: [fits(false, "maybe c is not needed"), fits(true, "fine")],
        synthesizer: ["done"],
      },
      [e],
    );
    const kept = await run(agent, { goal: "g" }, { context: SIGNAL });
    expect(e.calls.map((c) => c.text)).toEqual(["a", "b", "c"]);
    expect(kept.state.replans).toBe(1);
    expect(kept.state.replanSignal).toBeNull();

    const e2 = echo();
    const bad = plan({ id: "x", tool: "no_such_tool" });
    const second = scriptedAgent(
      {
        planner: [chain(), bad, bad],
        evaluator: [fits(false, "rewrite it")],
        synthesizer: ["done"],
      },
      [e2],
    );
    const invalid = await run(
      second.agent,
      { goal: "g" },
      { context: { ...SIGNAL, maxPlanAttempts: 2, maxReplans: 1 } },
    );
    expect(invalid.state.error).toBeNull();
    expect(e2.calls.map((c) => c.text)).toEqual(["a", "b", "c"]);
    expect(invalid.state.replans).toBe(1);
    expect(invalid.state.validationErrors).toEqual([]);
    expect(eventsOf(invalid.events, "plan_invalid")).toHaveLength(2);
    expect(invalid.state.finalAnswer).toBe("done");
  });

  it("the router sends a signal to the replanner before any approval, and ignores it once replans are used up", () => {
    const settings = resolveSettings(SIGNAL);
    const record = (id: string, status: StepRecord["status"]): StepRecord => ({
      id,
      status,
      error: null,
      attempts: 0,
      startedAt: null,
      finishedAt: null,
      evaluation: null,
    });
    const signal: PlanCheck = {
      at: 0,
      after: ["a"],
      planVersion: 1,
      verdict: "replan",
      reason: "r",
      note: null,
    };
    const base = {
      plan: [
        { id: "a", description: "", tool: "echo", args: {}, depends_on: [], expected_output: "" },
        { id: "b", description: "", tool: "echo", args: {}, depends_on: ["a"], expected_output: "" },
      ],
      steps: { a: record("a", "succeeded"), b: { ...record("b", "pending"), approval: null } },
      error: null,
      validationErrors: [],
      planAttempts: 1,
      replans: 0,
      replanSignal: signal,
    };
    expect(routeAfterEvaluation(base, settings)).toBe("replanner");
    expect(routeAfterEvaluation({ ...base, replans: 2 }, settings)).toBe("executor");
    expect(routeAfterEvaluation({ ...base, replanSignal: null }, settings)).toBe("executor");
  });

  it("the replanner never drops a step that is still running", async () => {
    const planner = new ScriptedChatModel({
      replies: [plan({ id: "d", tool: "echo", args: { text: "d" }, depends_on: ["a"] })],
    });
    const replanner = createReplannerNode({
      models: () => planner,
      tools: new ToolRegistry([echo()]),
    });
    const step = (id: string, deps: string[] = []) => ({
      id,
      description: id,
      tool: "echo",
      args: { text: id },
      depends_on: deps,
      expected_output: "",
    });
    const rec = (id: string, status: StepRecord["status"]): StepRecord => ({
      id,
      status,
      output: status === "succeeded" ? `out ${id}` : undefined,
      error: null,
      attempts: status === "pending" ? 0 : 1,
      startedAt: null,
      finishedAt: null,
      evaluation: null,
    });
    const update = await replanner(
      {
        goal: "g",
        plan: [step("a"), step("r"), step("b", ["a"])],
        steps: { a: rec("a", "succeeded"), r: rec("r", "running"), b: rec("b", "pending") },
        replanSignal: { at: 0, after: ["a"], planVersion: 1, verdict: "replan", reason: "r", note: null },
        replans: 0,
        planVersion: 1,
        planAttempts: 1,
        validationErrors: [],
        rejectedPlan: [],
        answerReview: null,
        finalAnswer: null,
        settings: resolveSettings(SIGNAL),
      } as never,
      {},
    );
    expect((update.plan ?? []).map((s) => s.id)).toEqual(["a", "r", "d"]);
    expect(Object.keys(update.steps ?? {})).toEqual(["b", "d"]);
    expect(update.replanSignal).toBeNull();
  });
});

const checkpointers: [string, () => BaseCheckpointSaver][] = [
  ["memory", () => new MemorySaver()],
  ["sqlite", () => SqliteSaver.fromConnString(join(dir, `${Math.random()}.sqlite`))],
];

describe.each(checkpointers)("dynamic replanning resumed in the middle (%s)", (name, makeSaver) => {
  it("a judgement whose connection failed is asked again on resume; the step and its reflection are not", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "w", tool: "llm", args: { prompt: "write" } },
            { id: "e", tool: "echo", args: { text: "{{w.output}}" }, depends_on: ["w"] },
          ),
          plan({ id: "e2", tool: "echo", args: { text: "better: {{w.output}}" }, depends_on: ["w"] }),
        ],
        executor: ["first", "second"],
        evaluator: [
          { structured: { pass: false, score: 0.3, reason: "weak" } },
          { structured: { pass: true, score: 0.9, reason: "good" } },
          { error: "503 Service Unavailable" },
          fits(false, "the draft shows e needs a prefix"),
        ],
        synthesizer: ["done"],
      },
      [llmTool, e],
      makeSaver(),
    );
    const thread = `signal-resume-${name}`;
    const context = { ...SIGNAL, critic: "llm_steps" } as const;
    await expect(run(agent, { goal: "g" }, { thread, context })).rejects.toThrow(/503/);
    expect(models.executor.callCount).toBe(2);
    expect(models.evaluator.callCount).toBe(3);
    expect(e.calls).toEqual([]);

    const resumed = await run(agent, null, { thread });
    expect(resumed.state.error).toBeNull();
    // The draft, its revision and both verdicts were read back; only the judgement was asked again.
    expect(models.executor.callCount).toBe(2);
    expect(models.evaluator.callCount).toBe(4);
    expect(e.calls.map((c) => c.text)).toEqual(["better: second"]);
    expect(resumed.state.plan.map((s) => s.id)).toEqual(["w", "e2"]);
    expect(resumed.state.planChecks).toHaveLength(1);
    expect(resumed.state.usage.evaluator?.calls).toBe(3);
  });
});

describe("the CLI shows the judgements", () => {
  it("renders plan_checked and a replan after a signal", async () => {
    const { ProgressRenderer } = await import("../../src/cli/render.js");
    let text = "";
    const r = new ProgressRenderer({ write: (t) => (text += t) }, { colors: false });
    const at = Date.now();
    r.event({ type: "plan_checked", at, after: ["a"], verdict: "fits", reason: "on track", note: null });
    r.event({ type: "plan_checked", at, after: ["a", "i"], verdict: "replan", reason: "euros", note: null });
    r.event({ type: "plan_checked", at, after: ["b"], verdict: "unreadable", reason: "", note: "garbled" });
    r.event({ type: "replanned", at, replan: 1, failed: [], steps: [], signal: "euros" });
    expect(text).toContain("· remaining plan still fits after a: on track");
    expect(text).toContain("⚑ remaining plan no longer fits after a, i: euros → replanner");
    expect(text).toContain("? remaining plan kept after b: garbled");
    expect(text).toContain("replan #1: the remaining plan no longer fit (euros); new steps:");
  });
});
