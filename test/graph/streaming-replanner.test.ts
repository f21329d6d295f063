import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import type { ProgressEvent } from "../../src/core/events.js";
import { eventsOf, run } from "../helpers/agent.js";
import { planReply, streamingAgent, tierTool, w, wire } from "../helpers/streaming.js";
import { waitTool } from "../helpers/timeline.js";
import { fakeTool, sleep } from "../helpers/tools.js";

/**
 * The replanner streams its recovery plan into execution as the planner does: a LOW recovery step
 * that is valid on its own (its dependencies started early or finished steps the recovery keeps)
 * starts before the answer is whole, as a durable task of the replanner node.
 */
const dir = mkdtempSync(join(tmpdir(), "pe-streaming-replanner-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A LOW tool that fails: the step that sends the run to the replanner. */
const flakyTool = () =>
  fakeTool("flaky", z.object({}).strict(), () => {
    throw new Error("boom");
  });

/** A LOW tool that records what it was given and when. */
function echoTool() {
  const at: number[] = [];
  const tool = fakeTool("echo", z.object({ text: z.string() }).strict(), (a) => {
    at.push(Date.now());
    return `echo ${a.text}`;
  });
  return { tool, at };
}

/** The first plan: k succeeds (kept by the recovery), f fails. */
const firstPlan = () => planReply(w("k", 10), { id: "f", tool: "flaky" });
const replannedAt = (events: ProgressEvent[]) => eventsOf(events, "replanned")[0]!.at;
const requestOf = (interrupts: unknown[]) => (interrupts[0] as { value: ApprovalRequest } | undefined)?.value;

describe("streaming replanner", () => {
  it("starts a LOW recovery step on a kept finished step while the recovery plan is still being written, once", async () => {
    const t = waitTool();
    const echo = echoTool();
    const flaky = flakyTool();
    const { agent } = streamingAgent(
      {
        planner: [
          firstPlan(),
          planReply(
            { id: "r0", tool: "echo", args: { text: "{{k.output}}" }, depends_on: ["k"] },
            w("r1", 30, ["k"]),
            w("r2", 30, ["r1"]),
            w("r3", 30),
            w("r4", 30),
          ),
        ],
        synthesizer: ["done"],
      },
      [t.tool, echo.tool, flaky],
    );
    const result = await run(agent, { goal: "g" });
    expect(result.state.finalAnswer).toBe("done");
    const replanned = replannedAt(result.events);
    // r0 and r1 use the kept k; r2 waits for r1; all began before the recovery plan was whole.
    expect(echo.at[0]).toBeLessThan(replanned);
    for (const id of ["r1", "r2", "r3"]) expect(t.spans.get(id)!.start).toBeLessThan(replanned);
    expect(t.spans.get("r2")!.start).toBeGreaterThanOrEqual(t.spans.get("r1")!.end);
    expect(echo.tool.calls).toEqual([{ text: "k done" }]);
    expect(Object.fromEntries(t.started)).toEqual({ k: 1, r1: 1, r2: 1, r3: 1, r4: 1 });
    expect(flaky.calls).toHaveLength(1);
    expect(result.state.plan.map((s) => s.id)).toEqual(["k", "r0", "r1", "r2", "r3", "r4"]);
    for (const id of ["k", "r0", "r1", "r2", "r3", "r4"]) {
      expect(result.state.steps[id]?.status).toBe("succeeded");
      // The early recovery steps were judged like any other (the evaluator ran after the replanner).
      expect(result.state.steps[id]?.evaluation).not.toBeNull();
    }
    expect(result.state.steps.f?.status).toBe("failed");
    expect(result.state.planVersion).toBe(2);
  });

  it("holds MEDIUM and HIGH recovery steps, and their dependents, until the recovery plan is valid", async () => {
    const t = waitTool();
    const mail = tierTool("mail", "HIGH");
    const note = tierTool("note", "MEDIUM");
    const { agent } = streamingAgent(
      {
        planner: [
          firstPlan(),
          planReply(
            { id: "h", tool: "mail", args: { to: "x" }, depends_on: ["k"] },
            { id: "m", tool: "note", args: { to: "y" } },
            w("after_h", 10, ["h"]),
            w("a"),
            w("b"),
            w("c"),
          ),
        ],
        synthesizer: ["done"],
      },
      [t.tool, mail.tool, note.tool, flakyTool()],
      { settings: { autoApprove: "HIGH" } },
    );
    const result = await run(agent, { goal: "g" });
    expect(result.state.finalAnswer).toBe("done");
    const replanned = replannedAt(result.events);
    expect(mail.at).toHaveLength(1);
    expect(mail.at[0]).toBeGreaterThanOrEqual(replanned);
    expect(note.at[0]).toBeGreaterThanOrEqual(replanned);
    expect(t.spans.get("after_h")!.start).toBeGreaterThanOrEqual(replanned);
    expect(t.spans.get("a")!.start).toBeLessThan(replanned);
  });

  it('starts nothing of a recovery plan early with approvePlan "risky"', async () => {
    const t = waitTool();
    const { agent } = streamingAgent(
      { planner: [firstPlan(), planReply(w("a", 10, ["k"]), w("b"), w("c"), w("d"))], synthesizer: ["done"] },
      [t.tool, flakyTool()],
      { settings: { approvePlan: "risky" } },
    );
    // All LOW: neither plan stops for a person, yet neither streams into execution.
    const result = await run(agent, { goal: "g" });
    expect(result.interrupts).toHaveLength(0);
    expect(result.state.finalAnswer).toBe("done");
    const replanned = replannedAt(result.events);
    for (const id of ["a", "b", "c", "d"]) expect(t.spans.get(id)!.start).toBeGreaterThanOrEqual(replanned);
  });

  it('starts nothing of a recovery plan before a person approves it with approvePlan "always"', async () => {
    const t = waitTool();
    const { agent } = streamingAgent(
      { planner: [firstPlan(), planReply(w("a", 10, ["k"]), w("b"), w("c"), w("d"))], synthesizer: ["done"] },
      [t.tool, flakyTool()],
      { settings: { approvePlan: "always" } },
    );
    const first = await run(agent, { goal: "g" });
    expect(requestOf(first.interrupts)).toMatchObject({ type: "plan_approval", version: 1 });
    const second = await run(agent, new Command({ resume: { action: "approve" } }), { thread: first.thread });
    const request = requestOf(second.interrupts);
    expect(request).toMatchObject({ type: "plan_approval", version: 2 });
    expect(eventsOf(second.events, "replanned")).toHaveLength(1);
    expect(Object.fromEntries(t.started)).toEqual({ k: 1 });
    const third = await run(agent, new Command({ resume: { action: "approve", stop: request?.stop } }), {
      thread: first.thread,
    });
    expect(third.state.finalAnswer).toBe("done");
    expect(Object.fromEntries(t.started)).toEqual({ k: 1, a: 1, b: 1, c: 1, d: 1 });
  });

  it("never starts an emitted step that reuses a failed step's id; the invalid answer is repaired with the early steps kept", async () => {
    const t = waitTool();
    const { agent, models } = streamingAgent(
      {
        planner: [
          firstPlan(),
          planReply(
            w("a", 20, ["k"]),
            w("b"),
            { id: "f", tool: "wait", args: { ms: 20, label: "f_again" } },
            w("c"),
          ),
          planReply(w("a", 20, ["k"]), w("b"), w("d", 10, ["a"])),
        ],
        synthesizer: ["done"],
      },
      [t.tool, flakyTool()],
    );
    const result = await run(agent, { goal: "g" });
    expect(result.state.finalAnswer).toBe("done");
    const invalid = eventsOf(result.events, "plan_invalid");
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.replan).toBe(true);
    expect(invalid[0]!.issues.join(" ")).toMatch(/"f".*earlier step/);
    // a and b ran early in the refused round and not again; the reused f never ran; c (valid on its
    // own) started at the end of the stream and stays a finished step of the run.
    expect(t.started.get("f_again")).toBeUndefined();
    expect(Object.fromEntries(t.started)).toEqual({ k: 1, a: 1, b: 1, c: 1, d: 1 });
    expect(eventsOf(result.events, "replanned")).toHaveLength(1);
    expect(result.state.plan.map((s) => s.id).sort()).toEqual(["a", "b", "c", "d", "k"]);
    for (const id of ["a", "b", "c", "d"]) expect(result.state.steps[id]?.status).toBe("succeeded");
    expect(result.state.steps.f?.status).toBe("failed");
    expect(result.state.earlySteps).toEqual([]);
    // The repair prompt said which steps already ran.
    const repairPrompt = models.planner.calls[2]!.messages.map((m) => m.text).join("\n");
    expect(repairPrompt).toMatch(/Steps a, b, c already ran/);
  });

  it("resumes after a crash in the replanner node without running the finished early recovery step again (SQLite)", async () => {
    const file = join(dir, "crash.sqlite");
    const t = waitTool();
    const recovery = wire(w("r1", 10, ["k"]), w("r2", 10), w("r3", 10), w("r4", 10), w("r5", 10));
    const thread = "crash-mid-replan";
    // The first process: its replanner streams slowly; it "dies" while the recovery plan is still coming.
    const first = streamingAgent(
      { planner: [firstPlan(), { structured: recovery }], synthesizer: ["done"] },
      [t.tool, flakyTool()],
      { tokensPerSecond: 60, checkpointer: SqliteSaver.fromConnString(file) },
    );
    const abandoned = new AbortController();
    const running = first.agent
      .invoke({ goal: "g" }, { configurable: { thread_id: thread }, signal: abandoned.signal })
      .catch(() => undefined);
    while ((t.completed.get("r1") ?? 0) === 0) await sleep(20);
    await sleep(150); // its result is saved
    expect(t.started.get("r3")).toBeUndefined();

    // A new process on the same file resumes the thread in the replanner: the model is asked again.
    const flaky = flakyTool();
    const second = streamingAgent(
      { planner: [{ structured: recovery }], synthesizer: ["done"] },
      [t.tool, flaky],
      { tokensPerSecond: 2000, checkpointer: SqliteSaver.fromConnString(file) },
    );
    const result = await run(second.agent, null, { thread });
    abandoned.abort();
    await running;
    expect(result.state.finalAnswer).toBe("done");
    expect(flaky.calls).toHaveLength(0); // the first plan is not run again either
    expect(t.started.get("k")).toBe(1);
    expect(t.started.get("r1")).toBe(1);
    for (const id of ["k", "r1", "r2", "r3", "r4", "r5"])
      expect(result.state.steps[id]?.status).toBe("succeeded");
  });
});
