import { Command } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import { ToolInputError } from "../../src/tools/types.js";
import { describeWaiting } from "../../src/cli/resume-value.js";
import { plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

/**
 * Plan approval covers every plan that is about to run, not only the first: a recovery plan from
 * the replanner, and the candidate a plan search falls back to. The person is asked about the
 * steps still to run; the finished ones are listed apart and never run again, whatever is decided.
 */
const requestOf = (interrupts: unknown[]) => (interrupts[0] as { value: ApprovalRequest } | undefined)?.value;
const resume = (value: unknown) => new Command({ resume: value });

function setup() {
  const lookup = fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => `value of ${a.key}`);
  const fragile = fakeTool("fragile", z.object({}).strict(), () => {
    throw new ToolInputError("no such thing");
  });
  const deploy = fakeTool(
    "deploy",
    z.object({ target: z.string() }).strict(),
    (a) => `deployed ${a.target}`,
    "MEDIUM",
  );
  const agent = scriptedAgent(
    {
      planner: [
        plan(
          { id: "s1", tool: "lookup", args: { key: "a" } },
          { id: "s2", tool: "fragile", depends_on: ["s1"] },
        ),
        // The recovery plan: a MEDIUM step that uses the finished s1.
        plan({ id: "s3", tool: "deploy", args: { target: "{{s1.output}}" }, depends_on: ["s1"] }),
      ],
      synthesizer: ["answer", "answer"],
    },
    [lookup, fragile, deploy],
  );
  return { ...agent, lookup, fragile, deploy };
}

describe("plan approval of recovery plans", () => {
  it("approvePlan always: the recovery plan stops for a person, showing only the steps still to run", async () => {
    const { agent, lookup, deploy } = setup();
    const first = await run(agent, { goal: "g" }, { context: { approvePlan: "always" } });
    expect(requestOf(first.interrupts)).toMatchObject({ type: "plan_approval", version: 1 });
    const second = await run(agent, resume({ action: "approve" }), { thread: first.thread });

    const request = requestOf(second.interrupts);
    expect(request).toMatchObject({ type: "plan_approval", version: 2 });
    if (request?.type !== "plan_approval") throw new Error("no plan stop");
    expect(request.steps.map((s) => [s.id, s.risk])).toEqual([["s3", "MEDIUM"]]);
    expect(request.kept).toEqual([
      { id: "s1", description: expect.any(String) as string, status: "succeeded" },
    ]);
    expect(deploy.calls).toHaveLength(0); // nothing of the recovery ran before the decision
    const shown = describeWaiting(first.thread, request);
    expect(shown).toContain("The recovery plan (v2) waits for approval; its steps to run:");
    expect(shown).toMatch(/s3 \[deploy, MEDIUM\]/);
    expect(shown).toMatch(/s1 \(succeeded\)/);
    expect(shown).toContain("(ends the recovery)");

    const third = await run(agent, resume({ action: "approve", stop: request.stop }), {
      thread: first.thread,
    });
    expect(third.interrupts).toHaveLength(0);
    expect(third.state.finalAnswer).toBe("answer");
    expect(deploy.calls).toEqual([{ target: "value of a" }]);
    expect(lookup.calls).toHaveLength(1); // s1 ran once, before the recovery
    expect(third.state.planReview).toEqual({ version: 2, decision: "approved" });
  });

  it("approvePlan risky: asks about a recovery plan with a MEDIUM step even though the first plan was all LOW", async () => {
    const { agent, deploy } = setup();
    const first = await run(agent, { goal: "g" }, { context: { approvePlan: "risky" } });
    // The first plan is all LOW: no stop; the recovery has a MEDIUM step: a stop.
    expect(requestOf(first.interrupts)).toMatchObject({ type: "plan_approval", version: 2 });
    expect(deploy.calls).toHaveLength(0);
  });

  it("approvePlan never: a recovery plan runs without a stop (as before)", async () => {
    const { agent, deploy } = setup();
    const first = await run(agent, { goal: "g" }, { context: { approvePlan: "never" } });
    expect(first.interrupts).toHaveLength(0);
    expect(deploy.calls).toHaveLength(1);
  });

  it("a rejected recovery plan runs nothing and the run answers with what it has", async () => {
    const { agent, deploy, lookup, models } = setup();
    const first = await run(agent, { goal: "g" }, { context: { approvePlan: "risky" } });
    const second = await run(agent, resume({ action: "reject", feedback: "no deploys" }), {
      thread: first.thread,
    });
    expect(second.interrupts).toHaveLength(0);
    expect(deploy.calls).toHaveLength(0);
    expect(lookup.calls).toHaveLength(1);
    expect(second.state.steps.s3).toMatchObject({
      status: "skipped",
      error: "not run: a person rejected this recovery plan (no deploys)",
    });
    expect(second.state.planReview).toEqual({ version: 2, decision: "rejected" });
    expect(models.planner.calls).toHaveLength(2); // no further replanning after the person said no
    expect(second.state.finalAnswer).toBe("answer");
  });

  it("an edit replaces only the steps still to run; reusing a finished step's id is refused", async () => {
    const { agent, deploy, lookup } = setup();
    const first = await run(agent, { goal: "g" }, { context: { approvePlan: "risky" } });
    const reuse = await run(
      agent,
      resume({ action: "edit", plan: { steps: [{ id: "s1", tool: "lookup", args: { key: "again" } }] } }),
      { thread: first.thread },
    );
    const refused = requestOf(reuse.interrupts);
    expect(refused?.errors.join(" ")).toMatch(/edit refused: steps s1 already finished/);
    expect(lookup.calls).toHaveLength(1);

    const edited = await run(
      agent,
      resume({
        action: "edit",
        plan: {
          steps: [
            { id: "s4", tool: "deploy", args: { target: "staging {{s1.output}}" }, depends_on: ["s1"] },
          ],
        },
      }),
      { thread: first.thread },
    );
    expect(edited.interrupts).toHaveLength(0);
    expect(deploy.calls).toEqual([{ target: "staging value of a" }]);
    expect(lookup.calls).toHaveLength(1); // the finished step was kept, not run again
    expect(edited.state.steps.s3).toMatchObject({ status: "skipped" });
    expect(edited.state.plan.map((s) => s.id)).toEqual(["s1", "s4"]);
    expect(edited.state.planReview).toEqual({ version: 3, decision: "edited" });
  });

  it("a decision made for the first plan's stop does not approve the recovery plan", async () => {
    const { agent, deploy } = setup();
    const first = await run(agent, { goal: "g" }, { context: { approvePlan: "always" } });
    const firstStop = requestOf(first.interrupts)?.stop;
    const second = await run(agent, resume({ action: "approve", stop: firstStop }), { thread: first.thread });
    expect(requestOf(second.interrupts)).toMatchObject({ type: "plan_approval", version: 2 });
    // The same stop id again (a replayed or double-clicked decision): refused as stale, nothing runs.
    const stale = await run(agent, resume({ action: "approve", stop: firstStop }), { thread: first.thread });
    expect(requestOf(stale.interrupts)).toMatchObject({ type: "plan_approval", version: 2 });
    expect(requestOf(stale.interrupts)?.errors.join(" ")).toMatch(/stale|another stop|no longer/i);
    expect(deploy.calls).toHaveLength(0);
  });
});
