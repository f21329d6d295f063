import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ScriptedReply } from "../../src/testing/scripted.js";
import { eventsOf, run } from "../helpers/agent.js";
import { waitTool } from "../helpers/timeline.js";
import { fakeTool, sleep } from "../helpers/tools.js";
import { planReply, streamingAgent, tierTool, w, wire, type StepSpec } from "../helpers/streaming.js";

const dir = mkdtempSync(join(tmpdir(), "pe-streaming-planner-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("streaming planner", () => {
  it("starts 24 early steps side by side on a run with an abort signal, without a MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const t = waitTool();
      const steps = Array.from({ length: 24 }, (_, i) => w(`s${i}`, 30));
      const { agent } = streamingAgent({ planner: [planReply(...steps)], synthesizer: ["done"] }, [t.tool], {
        tokensPerSecond: 4000,
        settings: { maxSteps: 24, maxConcurrency: 24 },
      });
      const controller = new AbortController();
      const state = await agent.invoke(
        { goal: "g" },
        { configurable: { thread_id: "many-early" }, signal: controller.signal },
      );
      expect(Object.values(state.steps).filter((r) => r.status === "succeeded")).toHaveLength(24);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((x) => x.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("starts a LOW step while the plan is still being written, and runs each step once", async () => {
    const t = waitTool();
    const { agent } = streamingAgent(
      {
        planner: [planReply(w("a", 30), w("b", 30, ["a"]), w("c", 30), w("d", 30), w("e", 30, ["d"]))],
        synthesizer: ["done"],
      },
      [t.tool],
    );
    const result = await run(agent, { goal: "g" });
    expect(result.state.finalAnswer).toBe("done");
    const created = eventsOf(result.events, "plan_created")[0]!.at;
    // a, b (after a), c and d all began before the last step was written; e came in the last chunk.
    for (const id of ["a", "b", "c", "d"]) expect(t.spans.get(id)!.start).toBeLessThan(created);
    expect(Object.fromEntries(t.started)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1 });
    expect(t.spans.get("b")!.start).toBeGreaterThanOrEqual(t.spans.get("a")!.end);
    for (const id of ["a", "b", "c", "d", "e"]) expect(result.state.steps[id]?.status).toBe("succeeded");
    expect(result.state.plan.map((s) => s.id)).toEqual(["a", "b", "c", "d", "e"]);
    // The early steps' records carry their attempts like any other step's.
    expect(result.state.steps.a?.attemptLog).toHaveLength(1);
  });

  it("starts nothing early when the setting is off", async () => {
    const t = waitTool();
    const { agent } = streamingAgent(
      { planner: [planReply(w("a"), w("b"), w("c"))], synthesizer: ["done"] },
      [t.tool],
      { settings: { planStreaming: false } },
    );
    const result = await run(agent, { goal: "g" });
    const created = eventsOf(result.events, "plan_created")[0]!.at;
    for (const id of ["a", "b", "c"]) expect(t.spans.get(id)!.start).toBeGreaterThanOrEqual(created);
  });

  it("starts nothing early while a person approves the plan", async () => {
    const t = waitTool();
    const { agent } = streamingAgent(
      { planner: [planReply(w("a"), w("b"), w("c"))], synthesizer: ["done"] },
      [t.tool],
      { settings: { approvePlan: "always" } },
    );
    const result = await run(agent, { goal: "g" });
    expect(result.interrupts).toHaveLength(1);
    expect(t.started.size).toBe(0);
  });

  it("holds MEDIUM and HIGH steps, and their dependents, until the whole plan is valid", async () => {
    const t = waitTool();
    const mail = tierTool("mail", "HIGH");
    const note = tierTool("note", "MEDIUM");
    const { agent } = streamingAgent(
      {
        planner: [
          planReply(
            { id: "h", tool: "mail", args: { to: "x" } },
            { id: "m", tool: "note", args: { to: "y" } },
            w("after_h", 10, ["h"]),
            w("a"),
            w("b"),
            w("c"),
          ),
        ],
        synthesizer: ["done"],
      },
      [t.tool, mail.tool, note.tool],
      { settings: { autoApprove: "HIGH" } },
    );
    const result = await run(agent, { goal: "g" });
    expect(result.state.finalAnswer).toBe("done");
    const created = eventsOf(result.events, "plan_created")[0]!.at;
    expect(mail.at[0]).toBeGreaterThanOrEqual(created);
    expect(note.at[0]).toBeGreaterThanOrEqual(created);
    expect(t.spans.get("after_h")!.start).toBeGreaterThanOrEqual(created);
    expect(t.spans.get("a")!.start).toBeLessThan(created);
    expect(result.state.steps.h?.status).toBe("succeeded");
  });

  it("keeps the early steps of a plan refused at the end, and repairs the rest", async () => {
    const t = waitTool();
    const mail = tierTool("mail", "HIGH");
    const { agent, models } = streamingAgent(
      {
        planner: [
          planReply(w("a"), w("b", 20, ["a"]), { id: "m", tool: "mail", args: { to: "x" } }, w("c"), {
            id: "z",
            tool: "no_such_tool",
          }),
          planReply(w("a"), w("b", 20, ["a"]), { id: "m", tool: "mail", args: { to: "x" } }, w("c"), w("z2")),
        ],
        synthesizer: ["done"],
      },
      [t.tool, mail.tool],
      { settings: { autoApprove: "HIGH" } },
    );
    const result = await run(agent, { goal: "g" });
    expect(result.state.finalAnswer).toBe("done");
    expect(eventsOf(result.events, "plan_invalid")).toHaveLength(1);
    // a, b and c ran early in the refused round and were not run again; m waited for a valid plan.
    expect(Object.fromEntries(t.started)).toEqual({ a: 1, b: 1, c: 1, z2: 1 });
    expect(mail.at).toHaveLength(1);
    expect(mail.at[0]).toBeGreaterThanOrEqual(eventsOf(result.events, "plan_created")[0]!.at);
    expect(result.state.plan.map((s) => s.id).sort()).toEqual(["a", "b", "c", "m", "z2"]);
    // The repair prompt said which steps already ran.
    const repairPrompt = models.planner.calls[1]!.messages.map((m) => m.text).join("\n");
    expect(repairPrompt).toMatch(/Steps a, b, c already ran/);
  });

  describe("bad streams end in the repair path, with the early LOW steps kept and nothing MEDIUM/HIGH started", () => {
    const text = (...steps: StepSpec[]) => JSON.stringify(wire(...steps));
    const valid = () => planReply(w("a"), w("b"), { id: "m", tool: "mail", args: { to: "x" } });

    async function repaired(first: ScriptedReply) {
      const t = waitTool();
      const mail = tierTool("mail", "HIGH");
      const { agent } = streamingAgent(
        { planner: [first, valid()], synthesizer: ["done"] },
        [t.tool, mail.tool],
        {
          settings: { autoApprove: "HIGH" },
        },
      );
      const result = await run(agent, { goal: "g" });
      const invalid = eventsOf(result.events, "plan_invalid");
      const created = eventsOf(result.events, "plan_created")[0]!.at;
      expect(result.state.finalAnswer).toBe("done");
      expect(invalid).toHaveLength(1);
      expect(mail.at).toHaveLength(1);
      expect(mail.at[0]).toBeGreaterThanOrEqual(created);
      return { t, issues: invalid[0]!.issues, result };
    }

    it("a stream that breaks off in the middle of a step", async () => {
      const full = text(w("a"), w("b"), w("c"));
      const cut = full.slice(0, full.indexOf('"id":"c"') + 12);
      const { t, issues } = await repaired({ raw: cut, error: "socket hang up" });
      expect(issues.join(" ")).toMatch(/broke off after \d+ characters \(socket hang up\)/);
      expect(Object.fromEntries(t.started)).toEqual({ a: 1, b: 1 });
    });

    it("a step emitted twice with the same id", async () => {
      const { t, issues, result } = await repaired({
        structured: wire(
          w("a"),
          w("b"),
          { id: "b", tool: "wait", args: { ms: 20, label: "b_again" } },
          w("x"),
        ),
      });
      expect(issues.join(" ")).toMatch(/duplicate|more than once/i);
      // The first b started; the second did not. x, valid on its own, started at the end of the
      // stream; the repaired plan left it out, and it stays a finished step of the run.
      expect(Object.fromEntries(t.started)).toEqual({ a: 1, b: 1, x: 1 });
      expect(result.state.steps.x?.status).toBe("succeeded");
    });

    it("a step that depends on one not emitted yet (and never emitted)", async () => {
      const { t, issues } = await repaired({ structured: wire(w("a"), w("b", 20, ["ghost"]), w("c")) });
      expect(issues.join(" ")).toMatch(/ghost/);
      expect(t.started.get("b")).toBe(1); // only once: in the repaired plan
      expect(t.started.get("a")).toBe(1);
    });

    it("a partial JSON that never closes", async () => {
      const full = text(w("a"), w("b"), w("c"));
      const { t, issues } = await repaired({ raw: full.slice(0, -2) });
      expect(issues.join(" ")).toMatch(/never closed/);
      expect(Object.fromEntries(t.started)).toEqual({ a: 1, b: 1 });
    });
  });

  it("sends a failed early step to the replanner; its dependents never run on it", async () => {
    const t = waitTool();
    const flaky = fakeTool("flaky", z.object({}).strict(), () => {
      throw new Error("boom");
    });
    const { agent } = streamingAgent(
      {
        planner: [
          planReply({ id: "f", tool: "flaky" }, w("after_f", 10, ["f"]), w("a"), w("b"), w("c")),
          planReply(w("instead")), // the replanner's (same model role)
        ],
        synthesizer: ["done"],
      },
      [t.tool, flaky],
    );
    const result = await run(agent, { goal: "g" });
    expect(result.state.finalAnswer).toBe("done");
    expect(flaky.calls).toHaveLength(1);
    expect(result.state.steps.f?.status).toBe("failed");
    expect(t.started.get("after_f")).toBeUndefined();
    expect(result.state.steps.after_f?.status).toBe("skipped");
    expect(t.started.get("instead")).toBe(1);
  });

  it("waits for a step that references one emitted later, then runs it after the plan", async () => {
    const t = waitTool();
    const { agent } = streamingAgent(
      { planner: [planReply(w("b", 10, ["c"]), w("a"), w("c"), w("d"))], synthesizer: ["done"] },
      [t.tool],
    );
    const result = await run(agent, { goal: "g" });
    const created = eventsOf(result.events, "plan_created")[0]!.at;
    expect(t.spans.get("b")!.start).toBeGreaterThanOrEqual(created);
    expect(t.spans.get("a")!.start).toBeLessThan(created);
    expect(result.state.steps.b?.status).toBe("succeeded");
  });

  it("resumes after a crash mid-stream without running the finished early step again (SQLite)", async () => {
    const file = join(dir, "crash.sqlite");
    const t = waitTool();
    const plan = wire(w("a", 10), w("b", 10), w("c", 10), w("d", 10), w("e", 10));
    const thread = "crash-mid-stream";
    // The first process: its planner streams slowly; it "dies" (is abandoned) while the plan is still coming.
    const first = streamingAgent({ planner: [{ structured: plan }], synthesizer: ["done"] }, [t.tool], {
      tokensPerSecond: 60,
      checkpointer: SqliteSaver.fromConnString(file),
    });
    const abandoned = new AbortController();
    const running = first.agent
      .invoke({ goal: "g" }, { configurable: { thread_id: thread }, signal: abandoned.signal })
      .catch(() => undefined);
    while ((t.completed.get("a") ?? 0) === 0) await sleep(20);
    await sleep(150); // its result is saved
    expect(t.started.get("c")).toBeUndefined();

    // A new process on the same file resumes the thread: the model is asked again.
    const second = streamingAgent({ planner: [{ structured: plan }], synthesizer: ["done"] }, [t.tool], {
      tokensPerSecond: 2000,
      checkpointer: SqliteSaver.fromConnString(file),
    });
    const result = await run(second.agent, null, { thread });
    abandoned.abort();
    await running;
    expect(result.state.finalAnswer).toBe("done");
    expect(t.started.get("a")).toBe(1);
    for (const id of ["a", "b", "c", "d", "e"]) expect(result.state.steps[id]?.status).toBe("succeeded");
  });
});
