import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { normaliseConfidence } from "../../src/core/confidence.js";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import type { PlanExecuteContext } from "../../src/core/settings.js";
import { describeWaiting, resumeValue } from "../../src/cli/resume-value.js";
import type { ScriptedChatModel } from "../../src/testing/scripted.js";
import { takeConfidence } from "../../src/tools/confidence.js";
import { llmTool } from "../../src/tools/llm.js";
import { summarizeTool } from "../../src/tools/summarize.js";
import { eventsOf, plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "pe-confidence-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Gating on, the answer review off: these tests are about the step. */
const GATE: PlanExecuteContext = { minConfidence: 0.7, maxAnswerRevisions: 0 };

const echo = () => fakeTool("echo", z.object({ text: z.string() }).strict(), (a) => `echo: ${a.text}`);
const requestOf = (interrupts: unknown[]) => (interrupts[0] as { value: ApprovalRequest }).value;
const resume = (value: unknown) => new Command({ resume: value });
const promptOf = (m: ScriptedChatModel, call: number) =>
  m.calls[call]?.messages.map((x) => String(x.content)).join("\n") ?? "";

/** An LLM step `w` and a step `e` that uses its output. */
const writerPlan = () =>
  plan(
    { id: "w", tool: "llm", args: { prompt: "write it" } },
    { id: "e", tool: "echo", args: { text: "{{w.output}}" }, depends_on: ["w"] },
  );

describe("confidence gating (minConfidence)", () => {
  it("is off by default: no confidence is asked for and nothing stops", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      { planner: [writerPlan()], executor: ["the draft"], synthesizer: ["done"] },
      [llmTool, e],
    );
    const { state } = await run(agent, { goal: "g" }, { context: { maxAnswerRevisions: 0 } });
    expect(state.finalAnswer).toBe("done");
    expect(promptOf(models.executor, 0)).not.toContain("CONFIDENCE");
    expect(state.steps.w?.stepConfidence).toBeUndefined();
    expect(state.steps.w?.confidenceGate).toBeUndefined();
  });

  it("a step above the threshold runs on; its confidence is recorded and taken off the output", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      { planner: [writerPlan()], executor: ["the draft\nCONFIDENCE: 0.9"], synthesizer: ["done"] },
      [llmTool, e],
    );
    const { state, interrupts } = await run(agent, { goal: "g" }, { context: GATE });
    expect(interrupts).toEqual([]);
    expect(promptOf(models.executor, 0)).toContain("write CONFIDENCE: followed by a number from 0 to 1");
    expect(state.steps.w).toMatchObject({ output: "the draft", stepConfidence: { value: 0.9, note: null } });
    expect(state.steps.w?.confidenceGate).toBeUndefined();
    expect(e.calls).toEqual([{ text: "the draft" }]);
  });

  it("below the threshold the step stops for a person; approving runs its dependents and never the step again", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      { planner: [writerPlan()], executor: ["a guess\nCONFIDENCE: 0.4"], synthesizer: ["done"] },
      [llmTool, e],
    );
    const first = await run(agent, { goal: "g" }, { context: GATE });
    const request = requestOf(first.interrupts);
    expect(request).toMatchObject({
      type: "low_confidence",
      steps: [
        {
          stepId: "w",
          tool: "llm",
          confidence: 0.4,
          threshold: 0.7,
          reasons: ["the step's confidence 0.40 is below minConfidence 0.7"],
          output: "a guess",
        },
      ],
      errors: [],
    });
    expect(eventsOf(first.events, "step_gated")).toEqual([
      expect.objectContaining({ stepId: "w", confidence: 0.4, threshold: 0.7 }),
    ]);
    expect(e.calls).toEqual([]);
    expect(first.state.steps.w?.confidenceGate?.status).toBe("waiting");

    const second = await run(agent, resume({ stop: request.stop, action: "approve" }), {
      thread: first.thread,
    });
    expect(second.state.finalAnswer).toBe("done");
    expect(e.calls).toEqual([{ text: "a guess" }]);
    expect(models.executor.callCount).toBe(1);
    expect(second.state.steps.w).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(second.state.steps.w?.confidenceGate).toMatchObject({ status: "approved", reason: null });
    expect(second.state.steps.w?.confidenceGate?.decidedAt).toEqual(expect.any(Number));
  });

  it("an edit replaces the output that dependents get", async () => {
    const e = echo();
    const { agent } = scriptedAgent(
      { planner: [writerPlan()], executor: ["a guess\nCONFIDENCE: 0.2"], synthesizer: ["done"] },
      [llmTool, e],
    );
    const first = await run(agent, { goal: "g" }, { context: GATE });
    const second = await run(agent, resume({ action: "edit", output: "the checked figure: 42" }), {
      thread: first.thread,
    });
    expect(e.calls).toEqual([{ text: "the checked figure: 42" }]);
    expect(second.state.steps.w).toMatchObject({
      status: "succeeded",
      output: "the checked figure: 42",
      confidenceGate: { status: "edited" },
    });
  });

  it("a rejection hands the step to the replanner; the rejected step is not run again", async () => {
    const e = echo();
    const { agent, models } = scriptedAgent(
      {
        planner: [writerPlan(), plan({ id: "x", tool: "echo", args: { text: "another way" } })],
        executor: ["a guess\nCONFIDENCE: 0.1"],
        synthesizer: ["done"],
      },
      [llmTool, e],
    );
    const first = await run(agent, { goal: "g" }, { context: GATE });
    const second = await run(agent, resume({ action: "reject", reason: "made up" }), {
      thread: first.thread,
    });
    expect(second.state.steps.w).toMatchObject({
      status: "rejected",
      error: "rejected by a person at the low-confidence stop: made up",
      confidenceGate: { status: "rejected", reason: "made up" },
    });
    expect(promptOf(models.planner, 1)).toContain("rejected by a person at the low-confidence stop: made up");
    expect(e.calls).toEqual([{ text: "another way" }]);
    expect(models.executor.callCount).toBe(1);
    expect(second.state.replans).toBe(1);
  });

  it("a missing or out-of-range confidence is low, and the stop says so", async () => {
    const e = echo();
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "w", tool: "llm" },
            { id: "s", tool: "summarize", args: { text: "some text" } },
            { id: "e", tool: "echo", args: { text: "{{w.output}} {{s.output}}" }, depends_on: ["w", "s"] },
          ),
        ],
        executor: [
          (m) => (String(m.at(-1)?.content).includes("some text") ? "summary\nCONFIDENCE: 7" : "no line"),
          (m) => (String(m.at(-1)?.content).includes("some text") ? "summary\nCONFIDENCE: 7" : "no line"),
        ],
        synthesizer: ["done"],
      },
      [llmTool, summarizeTool, e],
    );
    const first = await run(agent, { goal: "g" }, { context: GATE });
    const request = requestOf(first.interrupts);
    expect(request.type).toBe("low_confidence");
    const steps = request.type === "low_confidence" ? request.steps : [];
    expect(steps.map((s) => [s.stepId, s.confidence, s.reasons, s.output])).toEqual([
      ["w", 0, ["the step reported no confidence; treated as low"], "no line"],
      ["s", 0, ["the step reported a confidence of 7, outside 0–1; treated as low"], "summary"],
    ]);
    // Two steps wait in one stop: a bare decision does not say which, so it is refused; both decided at once pass.
    const vague = await run(agent, resume({ action: "approve" }), { thread: first.thread });
    expect(requestOf(vague.interrupts).errors).toEqual([
      "2 steps are waiting (w, s): say which one (stepId).",
    ]);
    const done = await run(
      agent,
      resume({ decisions: { w: { action: "approve" }, s: { action: "edit", output: "fixed summary" } } }),
      { thread: first.thread },
    );
    expect(done.state.finalAnswer).toBe("done");
    expect(e.calls).toEqual([{ text: "no line fixed summary" }]);
  });

  it("refuses a stale stop, a step that does not wait, and an edit without an output; nothing is applied", async () => {
    const e = echo();
    const { agent } = scriptedAgent(
      { planner: [writerPlan()], executor: ["a guess\nCONFIDENCE: 0.5"], synthesizer: ["done"] },
      [llmTool, e],
    );
    const first = await run(agent, { goal: "g" }, { context: GATE });
    const stale = await run(agent, resume({ stop: "0000000000000000", action: "approve" }), {
      thread: first.thread,
    });
    expect(requestOf(stale.interrupts).errors[0]).toMatch(/^stale decision/);
    const other = await run(agent, resume({ stepId: "e", action: "approve" }), { thread: first.thread });
    expect(requestOf(other.interrupts).errors).toEqual(["e does not wait for review; nothing was applied."]);
    const empty = await run(agent, resume({ action: "edit" }), { thread: first.thread });
    expect(requestOf(empty.interrupts).errors[0]).toMatch(/the edited output is missing/);
    expect(e.calls).toEqual([]);
    expect(empty.state.steps.w?.confidenceGate?.status).toBe("waiting");
  });

  it("the critic reports a confidence too: a sure step with an unsure critic stops, and a critic that gives none is low", async () => {
    const e = echo();
    const critic = (confidence?: unknown) => ({
      structured: { pass: true, reason: "fine", ...(confidence === undefined ? {} : { confidence }) },
    });
    const context = { ...GATE, critic: "all", maxRevisions: 0 } as const;
    const { agent } = scriptedAgent(
      {
        planner: [writerPlan()],
        executor: ["sure\nCONFIDENCE: 0.95"],
        evaluator: [critic(0.3), critic()],
        synthesizer: ["done"],
      },
      [llmTool, e],
    );
    const first = await run(agent, { goal: "g" }, { context });
    expect(requestOf(first.interrupts)).toMatchObject({
      type: "low_confidence",
      steps: [
        {
          stepId: "w",
          confidence: 0.3,
          reasons: ["the critic's confidence 0.30 is below minConfidence 0.7"],
        },
      ],
    });
    expect(first.state.steps.w).toMatchObject({
      stepConfidence: { value: 0.95 },
      criticConfidence: { value: 0.3 },
    });
    // e is no LLM step: only the critic's confidence counts, and it gave none.
    const second = await run(agent, resume({ action: "approve" }), { thread: first.thread });
    expect(requestOf(second.interrupts)).toMatchObject({
      type: "low_confidence",
      steps: [{ stepId: "e", confidence: 0, reasons: ["the critic reported no confidence; treated as low"] }],
    });
  });

  it("a reflecting step is gated on its kept draft: the draft's own confidence and the critic's on it", async () => {
    const e = echo();
    const verdict = (pass: boolean, score: number, confidence: number) => ({
      structured: { pass, score, reason: pass ? "good" : "weak", confidence },
    });
    const { agent, models } = scriptedAgent(
      {
        planner: [writerPlan()],
        executor: ["first\nCONFIDENCE: 0.2", "second\nCONFIDENCE: 0.85"],
        evaluator: [verdict(false, 0.3, 0.9), verdict(true, 0.9, 0.8)],
        synthesizer: ["done"],
      },
      [llmTool, e],
    );
    const { state, interrupts } = await run(
      agent,
      { goal: "g" },
      { context: { ...GATE, critic: "llm_steps" } },
    );
    expect(interrupts).toEqual([]);
    expect(promptOf(models.executor, 1)).toContain("CONFIDENCE:");
    expect(state.steps.w).toMatchObject({
      output: "second",
      stepConfidence: { value: 0.85 },
      criticConfidence: { value: 0.8 },
    });
    expect(state.steps.w?.reflection?.drafts.map((d) => d.stepConfidence?.value)).toEqual([0.2, 0.85]);
    expect(e.calls).toEqual([{ text: "second" }]);
  });

  it("steps no model wrote or judged are never gated", async () => {
    const e = echo();
    const { agent } = scriptedAgent(
      { planner: [plan({ id: "a", tool: "echo", args: { text: "x" } })], synthesizer: ["done"] },
      [e],
    );
    const { state, interrupts } = await run(agent, { goal: "g" }, { context: GATE });
    expect(interrupts).toEqual([]);
    expect(state.steps.a?.confidenceGate).toBeUndefined();
  });

  it("a resume in another process (SQLite) runs neither the step nor its critic again", async () => {
    const file = join(dir, "gate.sqlite");
    const e1 = echo();
    const before = scriptedAgent(
      {
        planner: [writerPlan()],
        executor: ["a guess\nCONFIDENCE: 0.3"],
        evaluator: [{ structured: { pass: true, reason: "ok", confidence: 0.9 } }],
        synthesizer: [],
      },
      [llmTool, e1],
      SqliteSaver.fromConnString(file),
    );
    const thread = "gate-resume";
    const context = { ...GATE, critic: "llm_steps", maxRevisions: 0 } as const;
    const first = await run(before.agent, { goal: "g" }, { thread, context });
    expect(requestOf(first.interrupts).type).toBe("low_confidence");
    // A new agent on the same file, with no executor or critic replies: a re-run would throw.
    const e2 = echo();
    const after = scriptedAgent({ synthesizer: ["done"] }, [llmTool, e2], SqliteSaver.fromConnString(file));
    const second = await run(
      after.agent,
      resume({ stop: requestOf(first.interrupts).stop, action: "approve" }),
      {
        thread,
      },
    );
    expect(second.state.error).toBeNull();
    expect(second.state.finalAnswer).toBe("done");
    expect(after.models.executor.callCount).toBe(0);
    expect(after.models.evaluator.callCount).toBe(0);
    expect(e2.calls).toEqual([{ text: "a guess" }]);
  });
});

describe("confidence helpers and the CLI", () => {
  it("takeConfidence and normaliseConfidence", () => {
    expect(takeConfidence("answer\nCONFIDENCE: 0.8")).toEqual({ text: "answer", raw: 0.8 });
    expect(takeConfidence("answer\n**Confidence:** 0.6")).toEqual({ text: "answer", raw: 0.6 });
    expect(takeConfidence("answer\nCONFIDENCE: high")).toEqual({ text: "answer", raw: "high" });
    expect(takeConfidence("no line")).toEqual({ text: "no line", raw: undefined });
    expect(normaliseConfidence(-0.1, "the step")).toEqual({
      value: 0,
      note: "the step reported a confidence of -0.1, outside 0–1; treated as low",
    });
    expect(normaliseConfidence("high", "the critic").note).toMatch(
      /not a number \("high"\); treated as low$/,
    );
    expect(normaliseConfidence("0.5", "x")).toEqual({ value: 0.5, note: null });
  });

  it("resume flags answer a low-confidence stop; --edit takes JSON or plain text", () => {
    const request: ApprovalRequest = {
      type: "low_confidence",
      stop: "s1",
      errors: [],
      steps: [
        {
          stepId: "w",
          tool: "llm",
          description: "write",
          confidence: 0.4,
          threshold: 0.7,
          reasons: ["the step's confidence 0.40 is below minConfidence 0.7"],
          output: "a guess",
        },
      ],
    };
    expect(resumeValue(request, { approve: true })).toEqual({ stop: "s1", stepId: "w", action: "approve" });
    expect(resumeValue(request, { edit: "plain words" })).toEqual({
      stop: "s1",
      stepId: "w",
      action: "edit",
      output: "plain words",
    });
    expect(resumeValue(request, { edit: '{"total": 3}' })).toMatchObject({ output: { total: 3 } });
    expect(resumeValue(request, { reject: "wrong" })).toMatchObject({ action: "reject", reason: "wrong" });
    const text = describeWaiting("t1", request);
    expect(text).toContain("1 step(s) wait for review (confidence below 0.7):");
    expect(text).toContain("confidence 0.40: the step's confidence 0.40 is below minConfidence 0.7");
    expect(text).toContain("output: a guess");
    expect(text).toContain("--edit '<new output: JSON or text>'");
  });

  it("the CLI renders step_gated", async () => {
    const { ProgressRenderer } = await import("../../src/cli/render.js");
    let text = "";
    const r = new ProgressRenderer({ write: (t) => (text += t) }, { colors: false });
    r.event({
      type: "step_gated",
      at: Date.now(),
      stepId: "w",
      confidence: 0.4,
      threshold: 0.7,
      reasons: ["low"],
    });
    expect(text).toContain("⏸ w confidence 0.40 < 0.7 low → waits for a person");
  });
});
