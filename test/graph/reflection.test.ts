import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { PlanExecuteContext } from "../../src/core/settings.js";
import type { Draft } from "../../src/core/state.js";
import { bestDraft, normaliseScore } from "../../src/nodes/reflection.js";
import { llmTool } from "../../src/tools/llm.js";
import type { PlanTool } from "../../src/tools/types.js";
import { eventsOf, plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "pe-reflection-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The critic on for LLM steps, the answer review off: these tests are about the step loop. */
const REFLECT: PlanExecuteContext = { critic: "llm_steps", maxAnswerRevisions: 0 };

const verdict = (pass: boolean, score: unknown, reason: string) => ({
  structured: { pass, ...(score === undefined ? {} : { score }), reason },
});
const promptOf = (m: { calls: { messages: { content: unknown }[] }[] }, call: number) =>
  m.calls[call]?.messages.map((x) => String(x.content)).join("\n") ?? "";

/** `echo`: what a dependent step receives. */
const echo = () => fakeTool("echo", z.object({ text: z.string() }).strict(), (a) => `echo: ${a.text}`);

/** One LLM step `w` (the writer) and a step `e` that uses its output. */
const writerPlan = () =>
  plan(
    { id: "w", tool: "llm", args: { prompt: "write it" } },
    { id: "e", tool: "echo", args: { text: "{{w.output}}" }, depends_on: ["w"] },
  );

describe("reflection loop (generate → critic → revise → critic)", () => {
  it("stops early when the critic approves a revision, and the revision is the step's output", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      {
        planner: [writerPlan()],
        executor: ["draft one", "draft two"],
        evaluator: [verdict(false, 0.3, "too vague: name the figure"), verdict(true, 0.85, "now precise")],
        synthesizer: ["done"],
      },
      [llmTool, e],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: REFLECT });
    expect(state.error).toBeNull();
    // One revision, then approved: maxRevisions (2) was not used up.
    expect(models.executor.callCount).toBe(2);
    expect(models.evaluator.callCount).toBe(2);
    expect(state.steps.w).toMatchObject({ status: "succeeded", output: "draft two" });
    expect(state.steps.w?.evaluation).toMatchObject({ ok: true, by: "critic" });
    expect(state.steps.w?.evaluation?.reason).toMatch(/approved revision 1 after 1 revision \(score 0\.85\)/);
    expect(state.steps.w?.reflection).toMatchObject({ kept: 1, approved: true, stopped: "approved" });
    expect(state.steps.w?.reflection?.drafts.map((d) => [d.revision, d.output, d.score, d.pass])).toEqual([
      [0, "draft one", 0.3, false],
      [1, "draft two", 0.85, true],
    ]);
    // The revision saw its draft and the critic's feedback; the dependent got the approved revision.
    const revisionPrompt = promptOf(models.executor, 1);
    expect(revisionPrompt).toContain("Your previous draft:\ndraft one");
    expect(revisionPrompt).toContain("feedback: too vague: name the figure");
    expect(e.calls).toEqual([{ text: "draft two" }]);
    expect(eventsOf(events, "step_revised")).toEqual([
      expect.objectContaining({
        stepId: "w",
        revision: 1,
        score: 0.3,
        feedback: "too vague: name the figure",
      }),
    ]);
    // Only the step's first run is a step event; the revision is reported by step_revised.
    expect(eventsOf(events, "step_finished").map((x) => x.stepId)).toEqual(["w", "e"]);
    expect(state.usage.executor?.calls).toBe(2);
    expect(state.steps.w?.usage?.calls).toBe(2);
    expect(state.usage.evaluator?.calls).toBe(2);
  });

  it("an approved first draft needs no revision", async () => {
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "w", tool: "llm" })],
        executor: ["good"],
        evaluator: [verdict(true, 0.9, "fine")],
        synthesizer: ["done"],
      },
      [llmTool],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: REFLECT });
    expect(models.executor.callCount).toBe(1);
    expect(state.steps.w?.reflection).toMatchObject({ kept: 0, approved: true, drafts: [{ score: 0.9 }] });
    expect(eventsOf(events, "step_revised")).toEqual([]);
  });

  it("at the bound keeps the best-scored draft, not the last, and says so; the step still succeeds", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      {
        planner: [writerPlan()],
        executor: ["first", "second", "third"],
        evaluator: [
          verdict(false, 0.3, "weak"),
          verdict(false, 0.7, "closer, but cite the source"),
          verdict(false, 0.5, "worse: the figure is gone"),
        ],
        synthesizer: ["done"],
      },
      [llmTool, e],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: REFLECT });
    expect(models.executor.callCount).toBe(3); // the first draft and maxRevisions (2) revisions
    expect(models.evaluator.callCount).toBe(3);
    expect(state.steps.w).toMatchObject({ status: "succeeded", output: "second" });
    expect(state.steps.w?.reflection).toMatchObject({ kept: 1, approved: false, stopped: "limit" });
    expect(state.steps.w?.evaluation).toMatchObject({ ok: true, by: "critic" });
    expect(state.steps.w?.evaluation?.reason).toBe(
      "not approved: the critic approved none of 3 drafts (maxRevisions 2); kept revision 1, the best-scored " +
        "draft (score 0.70); the critic's last word on it: closer, but cite the source",
    );
    expect(e.calls).toEqual([{ text: "second" }]);
    expect(eventsOf(events, "step_revised").map((x) => [x.revision, x.score])).toEqual([
      [1, 0.3],
      [2, 0.7],
    ]);
    expect(eventsOf(events, "step_evaluated").find((x) => x.stepId === "w")?.reason).toMatch(/^not approved/);
  });

  it("a verdict that does not parse is asked again once; then the step keeps its best draft and says why", async () => {
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "w", tool: "llm" })],
        executor: ["first", "second"],
        evaluator: [
          verdict(false, 0.4, "add the units"),
          { structured: { verdict: "?" } },
          { structured: { pass: "maybe" } },
        ],
        synthesizer: ["done"],
      },
      [llmTool],
    );
    const { state } = await run(agent, { goal: "g" }, { context: REFLECT });
    expect(state.error).toBeNull();
    expect(models.evaluator.callCount).toBe(3);
    expect(promptOf(models.evaluator, 2)).toMatch(/Your last answer could not be read: .*verdict schema/);
    expect(state.steps.w).toMatchObject({ status: "succeeded", output: "first" });
    expect(state.steps.w?.reflection).toMatchObject({ kept: 0, approved: false, stopped: "unreadable" });
    expect(state.steps.w?.reflection?.drafts[1]).toMatchObject({
      revision: 1,
      output: "second",
      score: null,
    });
    expect(state.steps.w?.evaluation?.reason).toMatch(
      /^not approved: the critic's verdict on revision 1 could not be read \(after 2 attempts: .*\); kept the first draft, the best-scored draft \(score 0\.40\)$/,
    );
  });

  it("an unreadable verdict on the first draft keeps it, unreviewed, and says so", async () => {
    const { agent } = scriptedAgent(
      {
        planner: [plan({ id: "w", tool: "llm" })],
        executor: ["only"],
        evaluator: [{ structured: {} }, { structured: { pass: true } }],
        synthesizer: ["done"],
      },
      [llmTool],
    );
    const { state } = await run(agent, { goal: "g" }, { context: REFLECT });
    expect(state.steps.w).toMatchObject({ status: "succeeded", output: "only" });
    expect(state.steps.w?.evaluation?.reason).toMatch(
      /could not be read .*; kept the first draft, unreviewed$/,
    );
  });

  it("a score that is missing or outside 0–1 counts as 0 and the draft says so; a critic that never approves is ended by the bound", async () => {
    const { agent } = scriptedAgent(
      {
        planner: [plan({ id: "w", tool: "llm" })],
        executor: ["first", "second"],
        evaluator: [verdict(false, undefined, "no"), verdict(false, 7, "still no")],
        synthesizer: ["done"],
      },
      [llmTool],
    );
    const { state } = await run(agent, { goal: "g" }, { context: { ...REFLECT, maxRevisions: 1 } });
    const drafts = state.steps.w?.reflection?.drafts ?? [];
    expect(drafts.map((d) => [d.score, d.note])).toEqual([
      [0, "the critic gave no score; treated as 0"],
      [0, "the critic's score 7 is outside 0–1; treated as 0"],
    ]);
    // A tie keeps the later draft.
    expect(state.steps.w).toMatchObject({ status: "succeeded", output: "second" });
    expect(state.steps.w?.evaluation?.reason).toContain("(score 0.00) (the critic's score 7 is outside 0–1");
  });

  it("no revision starts once a budget is reached: the step keeps what it has and says why", async () => {
    const script = () => ({
      planner: [plan({ id: "w", tool: "llm" })],
      executor: ["first", "second"],
      evaluator: [verdict(false, 0.5, "could be better"), verdict(true, 0.9, "good")],
      synthesizer: ["done"],
    });
    // Calibrate: the tokens of the plan and the first draft, without a budget.
    const free = scriptedAgent(script(), [llmTool]);
    const calibration = await run(free.agent, { goal: "g" }, { context: REFLECT });
    const before =
      (calibration.state.usage.planner?.total_tokens ?? 0) +
      (calibration.state.steps.w?.usage?.total_tokens ?? 0);
    // Room for the plan and the first draft; the first verdict crosses the limit.
    const { agent, models } = scriptedAgent(script(), [llmTool]);
    const { state } = await run(agent, { goal: "g" }, { context: { ...REFLECT, maxTokens: before + 1 } });
    expect(models.executor.callCount).toBe(1);
    expect(state.steps.w).toMatchObject({ status: "succeeded", output: "first" });
    expect(state.steps.w?.reflection).toMatchObject({ stopped: "budget", kept: 0 });
    expect(state.steps.w?.evaluation?.reason).toMatch(/no revision started: budget reached \(maxTokens\)/);
  });

  it("a revision that fails ends the loop with the best earlier draft", async () => {
    const { agent } = scriptedAgent(
      {
        planner: [plan({ id: "w", tool: "llm" })],
        executor: ["first", "   "],
        evaluator: [verdict(false, 0.6, "tighten it")],
        synthesizer: ["done"],
      },
      [llmTool],
    );
    const { state } = await run(agent, { goal: "g" }, { context: REFLECT });
    expect(state.steps.w).toMatchObject({ status: "succeeded", output: "first" });
    expect(state.steps.w?.reflection).toMatchObject({ stopped: "revision_failed", kept: 0 });
    expect(state.steps.w?.evaluation?.reason).toMatch(
      /revision 1 failed \(the step produced an empty output\)/,
    );
  });
});

describe("which steps reflect", () => {
  /** A tool that writes with a model but does not reflect by default. */
  function writer(): PlanTool<{ topic: string }> & { calls: number } {
    const tool = {
      name: "write",
      description: "writes with a model",
      schema: z.object({ topic: z.string() }).strict(),
      risk: "LOW" as const,
      usesModel: true,
      calls: 0,
      async run(args: { topic: string }, ctx: Parameters<PlanTool["run"]>[1]) {
        tool.calls += 1;
        return ctx.revision ? `${args.topic}, revised` : args.topic;
      },
    };
    return tool;
  }
  const marked = (reflect: boolean) => ({
    structured: {
      steps: [
        {
          id: "w",
          description: "write",
          tool: "write",
          args: JSON.stringify({ topic: "t" }),
          depends_on: [],
          expected_output: "text",
          reflect,
        },
      ],
    },
  });

  it("the planner's `reflect` turns it on for a model tool without the default; off, it gets the plain critic", async () => {
    const on = writer();
    const a = scriptedAgent(
      {
        planner: [marked(true)],
        evaluator: [verdict(false, 0.2, "more"), verdict(true, 1, "ok")],
        synthesizer: ["done"],
      },
      [on],
    );
    const first = await run(a.agent, { goal: "g" }, { context: REFLECT });
    expect(on.calls).toBe(2);
    expect(first.state.plan[0]?.reflect).toBe(true);
    expect(first.state.steps.w).toMatchObject({ output: "t, revised", reflection: { approved: true } });

    const off = writer();
    const b = scriptedAgent(
      // The plain critic's verdict has no score.
      { planner: [marked(false)], evaluator: [verdict(false, undefined, "more")], synthesizer: ["done"] },
      [off],
    );
    const second = await run(b.agent, { goal: "g" }, { context: { ...REFLECT, maxReplans: 0 } });
    expect(off.calls).toBe(1);
    expect(second.state.plan[0]?.reflect).toBeUndefined();
    // The plain critic: a rejection fails the step.
    expect(second.state.steps.w).toMatchObject({ status: "failed", error: "rejected by the critic: more" });
    expect(second.state.steps.w?.reflection).toBeUndefined();
  });

  it("a tool above LOW risk never reflects: a revision would run it again on one decision", async () => {
    const risky = { ...writer(), risk: "MEDIUM" as const, reflect: true };
    let runs = 0;
    const counted = { ...risky, run: async (a: { topic: string }) => `${a.topic} #${++runs}` };
    const { agent } = scriptedAgent(
      { planner: [marked(true)], evaluator: [verdict(true, undefined, "fine")], synthesizer: ["done"] },
      [counted],
    );
    const { state } = await run(agent, { goal: "g" }, { context: REFLECT });
    expect(runs).toBe(1);
    expect(state.steps.w).toMatchObject({ status: "succeeded", evaluation: { ok: true, reason: "fine" } });
    expect(state.steps.w?.reflection).toBeUndefined();
  });

  it("maxRevisions 0 keeps the plain pass/fail critic for LLM steps", async () => {
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "w", tool: "llm" })],
        executor: ["draft"],
        evaluator: [verdict(false, undefined, "wrong")],
        synthesizer: ["done"],
      },
      [llmTool],
    );
    const { state } = await run(
      agent,
      { goal: "g" },
      { context: { ...REFLECT, maxRevisions: 0, maxReplans: 0 } },
    );
    expect(models.executor.callCount).toBe(1);
    expect(state.steps.w).toMatchObject({ status: "failed", error: "rejected by the critic: wrong" });
  });

  it("with the critic off (the default) nothing reflects and no critic is asked", async () => {
    const { agent, models } = scriptedAgent(
      { planner: [plan({ id: "w", tool: "llm" })], executor: ["draft"], synthesizer: ["done"] },
      [llmTool],
    );
    const { state } = await run(agent, { goal: "g" });
    expect(models.executor.callCount).toBe(1);
    expect(models.evaluator.callCount).toBe(0);
    expect(state.steps.w?.reflection).toBeUndefined();
    expect(state.steps.w?.evaluation).toMatchObject({ ok: true, by: "checks" });
  });
});

const checkpointers: [string, () => BaseCheckpointSaver][] = [
  ["memory", () => new MemorySaver()],
  ["sqlite", () => SqliteSaver.fromConnString(join(dir, `${Math.random()}.sqlite`))],
];

describe.each(checkpointers)("reflection resumed in the middle of the loop (%s)", (_name, makeSaver) => {
  it("does not ask the models again for iterations that finished before the run stopped", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      {
        planner: [writerPlan()],
        executor: ["first", "second", "third"],
        evaluator: [
          verdict(false, 0.2, "weak"),
          verdict(false, 0.5, "better"),
          // The critic's connection fails on the verdict of revision 2: the run stops there.
          { error: "503 Service Unavailable" },
          verdict(true, 0.9, "good"),
        ],
        synthesizer: ["done"],
      },
      [llmTool, e],
      makeSaver(),
    );
    const thread = `reflect-resume-${_name}`;
    await expect(run(agent, { goal: "g" }, { thread, context: REFLECT })).rejects.toThrow(/503/);
    expect(models.executor.callCount).toBe(3); // the first draft and two revisions
    expect(models.evaluator.callCount).toBe(3); // two verdicts, and the one that failed
    const stopped = (await agent.getState({ configurable: { thread_id: thread } })).values;
    expect(stopped.steps.w?.evaluation).toBeNull();
    expect(e.calls).toEqual([]);

    const resumed = await run(agent, null, { thread });
    expect(resumed.state.error).toBeNull();
    expect(resumed.state.finalAnswer).toBe("done");
    // Only the unfinished verdict was asked again: no draft was rewritten, no verdict repeated.
    expect(models.executor.callCount).toBe(3);
    expect(models.evaluator.callCount).toBe(4);
    expect(promptOf(models.evaluator, 3)).toContain("Draft (revision 2): third");
    expect(resumed.state.steps.w).toMatchObject({ status: "succeeded", output: "third" });
    expect(resumed.state.steps.w?.reflection?.drafts.map((d) => d.score)).toEqual([0.2, 0.5, 0.9]);
    expect(e.calls).toEqual([{ text: "third" }]);
    // Usage counts each call once: the saved drafts and verdicts were read back, not re-run.
    expect(resumed.state.usage.executor?.calls).toBe(3);
    expect(resumed.state.usage.evaluator?.calls).toBe(3);
    // The resumed pass re-ran no revision, so it reported none again.
    expect(eventsOf(resumed.events, "step_revised")).toEqual([]);
  });
});

describe("reflection helpers", () => {
  it("normaliseScore and bestDraft", () => {
    expect(normaliseScore(0.5)).toEqual({ score: 0.5, note: null });
    expect(normaliseScore(-0.1).note).toMatch(/outside 0–1/);
    expect(normaliseScore("high")).toEqual({
      score: 0,
      note: `the critic's score "high" is not a number; treated as 0`,
    });
    const d = (revision: number, score: number | null): Draft => ({
      revision,
      score,
      pass: false,
      feedback: null,
      note: null,
    });
    expect(bestDraft([d(0, 0.5), d(1, 0.8), d(2, 0.8), d(3, null)]).revision).toBe(2);
    expect(bestDraft([d(0, null)]).revision).toBe(0);
  });
});
