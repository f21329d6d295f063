import { describe, expect, it } from "vitest";
import { z } from "zod";
import { TransientToolError, ToolInputError } from "../../src/tools/types.js";
import { eventsOf, plan, run, scriptedAgent } from "../helpers/agent.js";
import { waitTool, type Span } from "../helpers/timeline.js";
import { fakeTool } from "../helpers/tools.js";

const overlap = (a: Span, b: Span) => Math.min(a.end, b.end) - Math.max(a.start, b.start);
const answer = { synthesizer: ["done"] };

describe("executor scheduling", () => {
  it("runs two independent 200 ms steps at the same time", async () => {
    const w = waitTool();
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "wait", args: { ms: 200, label: "a" } },
            { id: "b", tool: "wait", args: { ms: 200, label: "b" } },
          ),
        ],
        ...answer,
      },
      [w.tool],
    );
    const { state } = await run(agent, { goal: "g" });
    expect(state.finalAnswer).toBe("done");
    const a = w.spans.get("a") as Span;
    const b = w.spans.get("b") as Span;
    expect(overlap(a, b)).toBeGreaterThan(150);
  });

  it("starts a step as soon as its own dependency is done, while an unrelated slow sibling still runs", async () => {
    const w = waitTool();
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "fast", tool: "wait", args: { ms: 50, label: "fast" } },
            { id: "slow", tool: "wait", args: { ms: 600, label: "slow" } },
            { id: "after_fast", tool: "wait", args: { ms: 50, label: "after_fast" }, depends_on: ["fast"] },
          ),
        ],
        ...answer,
      },
      [w.tool],
    );
    await run(agent, { goal: "g" });
    const fast = w.spans.get("fast") as Span;
    const slow = w.spans.get("slow") as Span;
    const afterFast = w.spans.get("after_fast") as Span;
    expect(afterFast.start).toBeGreaterThanOrEqual(fast.end);
    expect(afterFast.start - fast.end).toBeLessThan(100);
    expect(afterFast.end).toBeLessThan(slow.end);
  });

  it("runs 24 steps at once without a MaxListenersExceededWarning on the run's signal", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const w = waitTool();
      const steps = Array.from({ length: 24 }, (_, i) => ({
        id: `s${i}`,
        tool: "wait",
        args: { ms: 30, label: `s${i}` },
      }));
      const { agent } = scriptedAgent({ planner: [plan(...steps)], ...answer }, [w.tool]);
      const { state } = await run(agent, { goal: "g" }, { context: { maxConcurrency: 24, maxSteps: 24 } });
      expect(Object.values(state.steps).every((r) => r.status === "succeeded")).toBe(true);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("never runs more steps at once than maxConcurrency", async () => {
    let running = 0;
    let peak = 0;
    const tool = fakeTool("work", z.object({ n: z.number() }).strict(), async (a) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 40));
      running -= 1;
      return a.n;
    });
    const steps = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, tool: "work", args: { n: i } }));
    const { agent } = scriptedAgent({ planner: [plan(...steps)], ...answer }, [tool]);
    await run(agent, { goal: "g" }, { context: { maxConcurrency: 2 } });
    expect(tool.calls).toHaveLength(6);
    expect(peak).toBe(2);
  });
});

describe("retries and timeouts", () => {
  it("retries a transient error with growing delays, then succeeds", async () => {
    let calls = 0;
    const flaky = fakeTool("flaky", z.object({}).strict(), () => {
      calls += 1;
      if (calls < 3) throw new TransientToolError(`busy (${calls})`);
      return "ok";
    });
    const { agent } = scriptedAgent({ planner: [plan({ id: "s", tool: "flaky" })], ...answer }, [flaky]);
    const { state, events } = await run(
      agent,
      { goal: "g" },
      { context: { retryBaseDelayMs: 40, maxRetries: 3 } },
    );
    expect(state.steps.s).toMatchObject({ status: "succeeded", output: "ok", attempts: 3 });
    const retries = eventsOf(events, "step_retry");
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    // Equal jitter: retry k waits between half and all of base * 2^(k-1).
    expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(20);
    expect(retries[0]?.delayMs).toBeLessThanOrEqual(40);
    expect(retries[1]?.delayMs).toBeGreaterThanOrEqual(40);
    expect(retries[1]?.delayMs).toBeLessThanOrEqual(80);
    const starts = eventsOf(events, "step_started").map((e) => e.at);
    expect((starts[2] ?? 0) - (starts[1] ?? 0)).toBeGreaterThanOrEqual(38);
  });

  it("does not retry an error that retrying cannot fix", async () => {
    const bad = fakeTool("bad", z.object({}).strict(), () => {
      throw new ToolInputError("nonsense input");
    });
    const { agent } = scriptedAgent({ planner: [plan({ id: "s", tool: "bad" })], ...answer }, [bad]);
    const { state } = await run(agent, { goal: "g" }, { context: { maxReplans: 0 } });
    expect(bad.calls).toHaveLength(1);
    expect(state.steps.s).toMatchObject({ status: "failed", attempts: 1 });
    expect(state.steps.s?.error).toContain("nonsense input");
  });

  it("gives up after maxRetries transient failures and says so", async () => {
    const down = fakeTool("down", z.object({}).strict(), () => {
      throw Object.assign(new Error("503 Service Unavailable"), { status: 503 });
    });
    const { agent } = scriptedAgent({ planner: [plan({ id: "s", tool: "down" })], ...answer }, [down]);
    const { state } = await run(
      agent,
      { goal: "g" },
      { context: { maxRetries: 2, retryBaseDelayMs: 1, maxReplans: 0 } },
    );
    expect(down.calls).toHaveLength(3);
    expect(state.steps.s?.error).toMatch(/503.*gave up after 3 attempts/);
  });

  it("times out a step that runs too long, aborting its signal", async () => {
    const w = waitTool();
    const { agent } = scriptedAgent(
      { planner: [plan({ id: "s", tool: "wait", args: { ms: 5_000, label: "s" } })], ...answer },
      [w.tool],
    );
    const began = Date.now();
    const { state } = await run(
      agent,
      { goal: "g" },
      { context: { stepTimeoutMs: 100, maxRetries: 1, retryBaseDelayMs: 1, maxReplans: 0 } },
    );
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(state.steps.s).toMatchObject({ status: "failed", attempts: 2 });
    expect(state.steps.s?.error).toMatch(/timed out after 100 ms/);
    expect(w.completed.get("s")).toBeUndefined();
  });

  it("fails a step whose output is empty, without retrying it", async () => {
    const empty = fakeTool("empty", z.object({}).strict(), () => "   ");
    const { agent } = scriptedAgent({ planner: [plan({ id: "s", tool: "empty" })], ...answer }, [empty]);
    const { state } = await run(agent, { goal: "g" }, { context: { maxReplans: 0 } });
    expect(empty.calls).toHaveLength(1);
    expect(state.steps.s).toMatchObject({ status: "failed", error: "the step produced an empty output" });
  });
});
