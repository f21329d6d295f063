import { Command, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { mergeStepRecords, type StepRecord } from "../../src/core/state.js";
import { ToolInputError } from "../../src/tools/types.js";
import { eventsOf, plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const lookup = () =>
  fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => ({ key: a.key, value: a.key.length }));
const add = () => fakeTool("add", z.object({ a: z.number(), b: z.number() }).strict(), (a) => a.a + a.b);
/** The answer reviewer's approval: with the critic on, the answer is reviewed by the evaluator model too. */
const REVIEW_OK = { structured: { complete: true, supported: true, problems: [] } };
const promptOf = (m: { calls: { messages: { content: unknown }[] }[] }, call: number) =>
  m.calls[call]?.messages.map((x) => String(x.content)).join("\n") ?? "";

describe("planning and validation", () => {
  it("sends an invalid plan back to the planner with the problems listed, then runs the repaired plan", async () => {
    const t = lookup();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "lookup", args: { key: "x" }, depends_on: ["nowhere"] },
            { id: "b", tool: "shell" },
          ),
          plan({ id: "a", tool: "lookup", args: { key: "x" } }),
        ],
        synthesizer: ["fine"],
      },
      [t],
    );
    const { state, events } = await run(agent, { goal: "g" });
    expect(state.finalAnswer).toBe("fine");
    expect(t.calls).toHaveLength(1);
    const repair = promptOf(models.planner, 1);
    expect(repair).toContain('depends on "nowhere"');
    expect(repair).toContain('unknown tool "shell"');
    expect(eventsOf(events, "plan_invalid")).toHaveLength(1);
    expect(state.planVersion).toBe(1);
  });

  it("gives up with a clear error in state after maxPlanAttempts, running nothing", async () => {
    const t = lookup();
    const bad = plan({ id: "a", tool: "lookup", args: { key: 1 } });
    const { agent } = scriptedAgent({ planner: [bad, bad] }, [t]);
    const { state } = await run(agent, { goal: "g" }, { context: { maxPlanAttempts: 2 } });
    expect(t.calls).toHaveLength(0);
    expect(state.error).toMatch(
      /did not produce a valid plan in 2 attempts.*args for "lookup" are invalid at key/,
    );
    expect(state.finalAnswer).toBeNull();
  });

  it("treats a reply that is not a plan at all as a repairable problem", async () => {
    const { agent, models } = scriptedAgent(
      {
        planner: [{ structured: { steps: "none" } }, plan({ id: "a", tool: "lookup", args: { key: "k" } })],
        synthesizer: ["ok"],
      },
      [lookup()],
    );
    const { state } = await run(agent, { goal: "g" });
    expect(state.finalAnswer).toBe("ok");
    expect(promptOf(models.planner, 1)).toContain("did not match the plan schema");
  });

  it("refuses a __proto__ step id before anything runs; the repair round fixes it and the tool runs once", async () => {
    const t = lookup();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan({ id: "__proto__", tool: "lookup", args: { key: "x" } }),
          plan({ id: "step_1", tool: "lookup", args: { key: "x" } }),
        ],
        synthesizer: ["fine"],
      },
      [t],
    );
    // Before the fix this looped: the result was never stored under "__proto__", so the step
    // stayed pending and ran on every pass until the recursion limit.
    const { state, events } = await run(agent, { goal: "g" });
    expect(state.finalAnswer).toBe("fine");
    expect(t.calls).toHaveLength(1);
    const refused = eventsOf(events, "plan_invalid");
    expect(refused).toHaveLength(1);
    expect(refused[0]?.issues).toEqual([
      'step id "__proto__" is not allowed: ids start with a letter and use letters, digits, _ and - (at most 64)',
    ]);
    // Refused before anything ran.
    const types = events.map((e) => e.type);
    expect(types.indexOf("plan_invalid")).toBeLessThan(types.indexOf("step_started"));
    expect(promptOf(models.planner, 1)).toContain('step id "__proto__" is not allowed');
    expect(Object.keys(state.steps)).toEqual(["step_1"]);
    expect(state.steps.step_1?.status).toBe("succeeded");
  });

  it("refuses a 1 MB description, and neither stores it nor sends it back in the repair prompt", async () => {
    const runaway = () => {
      const reply = plan({ id: "a", tool: "lookup", args: { key: "x" } }) as {
        structured: { steps: { description: string }[] };
      };
      (reply.structured.steps[0] as { description: string }).description = "d".repeat(1_000_000);
      return reply;
    };
    const message =
      /a: description is 1,000,000 characters; at most 2,000 are allowed\. Say what the step does/;

    const gaveUp = scriptedAgent({ planner: [runaway()] }, [lookup()]);
    const first = await run(gaveUp.agent, { goal: "g" }, { context: { maxPlanAttempts: 1 } });
    expect(first.state.error).toMatch(message);
    expect(first.state.rejectedPlan[0]?.description).toMatch(/^d{200}… \(999,800 more characters\)$/);
    expect(JSON.stringify(first.state).length).toBeLessThan(10_000);

    const t = lookup();
    const { agent, models } = scriptedAgent(
      { planner: [runaway(), plan({ id: "a", tool: "lookup", args: { key: "x" } })], synthesizer: ["fine"] },
      [t],
    );
    const { state } = await run(agent, { goal: "g" });
    expect(state.finalAnswer).toBe("fine");
    expect(t.calls).toHaveLength(1);
    const repair = promptOf(models.planner, 1);
    expect(repair).toMatch(message);
    expect(repair.length).toBeLessThan(10_000);
  });

  it("refuses a plan larger than maxSteps", async () => {
    const steps = Array.from({ length: 4 }, (_, i) => ({ id: `s${i}`, tool: "lookup", args: { key: "k" } }));
    const { agent } = scriptedAgent({ planner: [plan(...steps)] }, [lookup()]);
    const { state } = await run(agent, { goal: "g" }, { context: { maxSteps: 3, maxPlanAttempts: 1 } });
    expect(state.error).toMatch(/4 steps; at most 3/);
  });
});

describe("the final answer", () => {
  it("does not finish on a blank answer: the run stops with an error and a resume asks only the synthesizer", async () => {
    const t = lookup();
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "a", tool: "lookup", args: { key: "x" } })],
        synthesizer: ["  \n", "the answer [a]"],
      },
      [t],
    );
    const thread = "blank-answer";
    await expect(run(agent, { goal: "g" }, { thread })).rejects.toThrow(
      /^the synthesizer model returned a blank answer \(3 whitespace characters\); the step results are kept: resume the thread to ask it again$/,
    );
    const stopped = await agent.getState({ configurable: { thread_id: thread } });
    expect(stopped.values.finalAnswer).toBeNull();
    expect(stopped.values.error).toBeNull();
    expect(stopped.next).toEqual(["synthesizer"]);
    expect(stopped.values.steps.a).toMatchObject({ status: "succeeded" });

    const resumed = await run(agent, null, { thread });
    expect(resumed.state.finalAnswer).toBe("the answer [a]");
    expect(eventsOf(resumed.events, "step_started")).toEqual([]);
    expect(t.calls).toHaveLength(1);
    expect(models.planner.callCount).toBe(1);
    expect(models.synthesizer.callCount).toBe(2);
  });

  it("refuses an empty answer too", async () => {
    const { agent } = scriptedAgent(
      { planner: [plan({ id: "a", tool: "lookup", args: { key: "x" } })], synthesizer: [""] },
      [lookup()],
    );
    await expect(run(agent, { goal: "g" })).rejects.toThrow(
      /returned an empty answer; the step results are kept/,
    );
  });
});

describe("step-id maps in checkpointed state", () => {
  it("merges records into an object without prototype that survives the checkpoint serde", async () => {
    const record = (id: string): StepRecord => ({
      id,
      status: "succeeded",
      output: { n: 1 },
      error: null,
      attempts: 1,
      startedAt: 1,
      finishedAt: 2,
      evaluation: null,
    });
    const merged = mergeStepRecords({ a: record("a") }, { b: { id: "b", status: "pending" } });
    expect(Object.getPrototypeOf(merged)).toBeNull();
    // The serialiser every saver uses for checkpoints (JsonPlusSerializer).
    const { serde } = new MemorySaver();
    const [type, bytes] = await serde.dumpsTyped(merged);
    const back = (await serde.loadsTyped(type, bytes)) as Record<string, StepRecord>;
    expect(back).toEqual({
      a: record("a"),
      b: {
        ...record("b"),
        status: "pending",
        output: undefined,
        attempts: 0,
        startedAt: null,
        finishedAt: null,
      },
    });
    // What comes back is a plain object: an inherited name is still no record.
    expect(mergeStepRecords(back, {}).constructor).toBeUndefined();
  });

  it("keeps working across a stop and a resume through MemorySaver", async () => {
    const saver = new MemorySaver();
    const risky = fakeTool("risky", z.object({ key: z.string() }).strict(), (a) => a.key, "MEDIUM");
    const t = lookup();
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "lookup", args: { key: "x" } },
            { id: "b", tool: "risky", args: { key: "{{a.output.key}}" }, depends_on: ["a"] },
          ),
        ],
        synthesizer: ["done [a] [b]"],
      },
      [t, risky],
      saver,
    );
    const first = await run(agent, { goal: "g" }, { context: { autoApprove: "LOW" } });
    expect(first.interrupts).toHaveLength(1);
    const config = { configurable: { thread_id: first.thread } };
    // The checkpoint carries no step records (they are stored as deltas); reading state rebuilds them.
    const saved = await saver.getTuple(config);
    expect(saved?.checkpoint.channel_values).not.toHaveProperty("steps");
    const steps = (await agent.getState(config)).values.steps as Record<string, StepRecord>;
    expect(Object.keys(steps).sort()).toEqual(["a", "b"]);
    expect(steps.a).toMatchObject({ status: "succeeded", output: { key: "x", value: 1 } });
    expect(steps.b?.approval).toMatchObject({ status: "waiting", args: { key: "x" } });

    const second = await run(agent, new Command({ resume: { action: "approve" } }), { thread: first.thread });
    expect(second.state.finalAnswer).toBe("done [a] [b]");
    expect(second.state.steps.b).toMatchObject({ status: "succeeded", output: "x" });
    expect(t.calls).toHaveLength(1);
    expect(risky.calls).toEqual([{ key: "x" }]);
  });
});

describe("references between steps", () => {
  it("passes a typed output into a dependent step's args", async () => {
    const a = add();
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "step_1", tool: "add", args: { a: 1, b: 2 } },
            { id: "step_10", tool: "add", args: { a: 10, b: 0 } },
            {
              id: "sum",
              tool: "add",
              args: { a: "{{step_1.output}}", b: "{{step_10.output}}" },
              depends_on: ["step_1", "step_10"],
            },
          ),
        ],
        synthesizer: ["13"],
      },
      [a],
    );
    const { state } = await run(agent, { goal: "g" });
    expect(state.steps.sum?.output).toBe(13);
    expect(a.calls).toContainEqual({ a: 3, b: 10 });
  });
});

describe("failure, replanning and recovery", () => {
  it("sends a failed step to the replanner, keeps what succeeded, and recovers", async () => {
    const t = lookup();
    const fails = fakeTool("fragile", z.object({}).strict(), () => {
      throw new ToolInputError("no such thing");
    });
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "s1", tool: "lookup", args: { key: "abc" } },
            { id: "s2", tool: "fragile", depends_on: ["s1"] },
            { id: "s3", tool: "add", args: { a: 1, b: "{{s2.output}}" }, depends_on: ["s2"] },
          ),
          plan({ id: "s4", tool: "add", args: { a: "{{s1.output.value}}", b: 100 }, depends_on: ["s1"] }),
        ],
        synthesizer: ["recovered: 103 [s4]"],
      },
      [t, fails, add()],
    );
    const { state, events } = await run(agent, { goal: "g" });
    expect(state.finalAnswer).toBe("recovered: 103 [s4]");
    expect(t.calls).toHaveLength(1); // s1 was not run again
    expect(state.replans).toBe(1);
    expect(state.plan.map((s) => s.id)).toEqual(["s1", "s4"]);
    expect(state.steps.s2).toMatchObject({ status: "failed" });
    expect(state.steps.s3).toMatchObject({ status: "skipped" });
    expect(state.steps.s4).toMatchObject({ status: "succeeded", output: 103 });
    const replanPrompt = promptOf(models.planner, 1);
    expect(replanPrompt).toContain("no such thing");
    expect(replanPrompt).toContain('[s1] step s1\n{"key":"abc","value":3}');
    expect(eventsOf(events, "replanned")[0]).toMatchObject({ replan: 1, failed: ["s2"] });
    expect(promptOf(models.synthesizer, 0)).not.toContain("did NOT complete");
  });

  it("refuses a recovery plan that reuses a finished or failed id, then accepts a repaired one", async () => {
    const boom = fakeTool("boom", z.object({}).strict(), () => {
      throw new ToolInputError("boom");
    });
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan({ id: "s1", tool: "lookup", args: { key: "k" } }, { id: "s2", tool: "boom" }),
          plan(
            { id: "s1", tool: "lookup", args: { key: "again" } },
            { id: "s2", tool: "lookup", args: { key: "z" } },
          ),
          plan({ id: "s3", tool: "lookup", args: { key: "z" } }),
        ],
        synthesizer: ["ok"],
      },
      [lookup(), boom],
    );
    const { state } = await run(agent, { goal: "g" });
    expect(state.finalAnswer).toBe("ok");
    const refusal = promptOf(models.planner, 2);
    expect(refusal).toContain('"s1" belongs to an earlier step');
    expect(refusal).toContain('"s2" belongs to an earlier step');
    expect(state.steps.s3?.status).toBe("succeeded");
  });

  it("ends in an honest partial answer once maxReplans is used up", async () => {
    const boom = fakeTool("boom", z.object({}).strict(), () => {
      throw new ToolInputError("still broken");
    });
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan({ id: "ok1", tool: "lookup", args: { key: "k" } }, { id: "b1", tool: "boom" }),
          plan({ id: "b2", tool: "boom" }),
        ],
        synthesizer: ["partial answer"],
      },
      [lookup(), boom],
    );
    const { state } = await run(agent, { goal: "g" }, { context: { maxReplans: 1 } });
    expect(boom.calls).toHaveLength(2);
    expect(state.replans).toBe(1);
    expect(state.finalAnswer).toBe("partial answer");
    const prompt = promptOf(models.synthesizer, 0);
    expect(prompt).toContain("did NOT complete");
    expect(prompt).toMatch(/\[b2\].*still broken/);
    expect(prompt).toContain("[ok1]");
  });

  it("answers partially when the replanner returns no steps", async () => {
    const boom = fakeTool("boom", z.object({}).strict(), () => {
      throw new ToolInputError("nope");
    });
    const { agent, models } = scriptedAgent(
      { planner: [plan({ id: "b", tool: "boom" }), { structured: { steps: [] } }], synthesizer: ["cannot"] },
      [boom],
    );
    const { state } = await run(agent, { goal: "g" });
    expect(state.finalAnswer).toBe("cannot");
    expect(promptOf(models.synthesizer, 0)).toContain("did NOT complete");
  });
});

describe("evaluator critic", () => {
  it("lets the critic fail a step against its expected output, which triggers a replan", async () => {
    const t = lookup();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan({ id: "a", tool: "lookup", args: { key: "x" } }),
          plan({ id: "b", tool: "lookup", args: { key: "better" } }),
        ],
        evaluator: [
          { structured: { pass: false, reason: "not what was asked" } },
          { structured: { pass: true, reason: "good" } },
          REVIEW_OK,
        ],
        synthesizer: ["done"],
      },
      [t],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: { critic: "all" } });
    expect(state.steps.a).toMatchObject({
      status: "failed",
      error: "rejected by the critic: not what was asked",
    });
    expect(state.steps.b?.evaluation).toEqual({ ok: true, reason: "good", by: "critic" });
    expect(models.evaluator.callCount).toBe(3); // two verdicts and the answer review
    expect(promptOf(models.evaluator, 0)).toContain("Expected output: something");
    expect(eventsOf(events, "step_evaluated").map((e) => [e.stepId, e.ok, e.by])).toEqual([
      ["a", false, "critic"],
      ["b", true, "critic"],
    ]);
  });

  it("sends an unreadable verdict back once with the problem, then uses the readable one", async () => {
    const t = lookup();
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "a", tool: "lookup", args: { key: "x" } })],
        evaluator: [
          { structured: { verdict: "looks fine" } },
          { structured: { pass: true, reason: "matches" } },
          REVIEW_OK,
        ],
        synthesizer: ["done"],
      },
      [t],
    );
    const { state } = await run(agent, { goal: "g" }, { context: { critic: "all" } });
    expect(state.error).toBeNull();
    expect(state.steps.a).toMatchObject({ status: "succeeded", evaluation: { ok: true, by: "critic" } });
    expect(promptOf(models.evaluator, 1)).toMatch(/Your last answer could not be read: .*pass/);
    expect(state.usage.evaluator?.calls).toBe(2); // the readable verdict and the answer review
  });

  it("fails the step, not the run, when the critic's verdict stays unreadable; the replanner recovers", async () => {
    const t = lookup();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan({ id: "a", tool: "lookup", args: { key: "x" } }),
          plan({ id: "b", tool: "lookup", args: { key: "y" } }),
        ],
        evaluator: [
          { structured: { verdict: "?" } },
          { structured: { pass: "maybe" } },
          { structured: { pass: true, reason: "ok" } },
          REVIEW_OK,
        ],
        synthesizer: ["done"],
      },
      [t],
    );
    const { state } = await run(agent, { goal: "g" }, { context: { critic: "all" } });
    expect(state.error).toBeNull();
    expect(state.finalAnswer).toBe("done");
    expect(state.steps.a?.status).toBe("failed");
    expect(state.steps.a?.error).toMatch(
      /^rejected by the critic: its verdict could not be read after 2 attempts/,
    );
    expect(state.steps.b?.status).toBe("succeeded");
    expect(state.replans).toBe(1);
    expect(models.evaluator.callCount).toBe(4); // three verdicts and the answer review
  });

  it("holds back a dependent until the critic has passed its dependency", async () => {
    const order: string[] = [];
    const t = fakeTool("mark", z.object({ id: z.string() }).strict(), (a) => {
      order.push(`run ${a.id}`);
      return a.id;
    });
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "mark", args: { id: "a" } },
            { id: "b", tool: "mark", args: { id: "b" }, depends_on: ["a"] },
          ),
        ],
        evaluator: [
          () => {
            order.push("critic");
            return { structured: { pass: true, reason: "ok" } };
          },
          { structured: { pass: true, reason: "ok" } },
          REVIEW_OK,
        ],
        synthesizer: ["done"],
      },
      [t],
    );
    await run(agent, { goal: "g" }, { context: { critic: "all" } });
    expect(order).toEqual(["run a", "critic", "run b"]);
  });

  it("records usage per role", async () => {
    const { agent } = scriptedAgent(
      { planner: [plan({ id: "a", tool: "lookup", args: { key: "x" } })], synthesizer: ["done"] },
      [lookup()],
    );
    const { state } = await run(agent, { goal: "g" });
    expect(state.usage.planner?.calls).toBe(1);
    expect(state.usage.planner?.total_tokens).toBeGreaterThan(0);
    expect(state.usage.synthesizer?.calls).toBe(1);
  });
});
