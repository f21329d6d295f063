import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, MemorySaver } from "@langchain/langgraph";
import { afterAll, describe, expect, it } from "vitest";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { createScenarioAgent } from "../../src/demo/agent.js";
import { EMAIL_DRAFT_PATH, emailScenario } from "../../src/demo/email.js";
import { eventsOf, run } from "../helpers/agent.js";

const dir = mkdtempSync(join(tmpdir(), "pe-email-scenario-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The email demo as the CLI drives it: each call is a new "process" with a fresh scenario agent on
 * the same checkpointer, continuing the script after the replies the thread already used.
 */
function demo(name: string) {
  const checkpointer = new MemorySaver();
  const outbox = join(dir, name, "outbox");
  const workspace = join(dir, name, "workspace");
  const agentFor = (state?: PlanExecuteStateType) =>
    createScenarioAgent(emailScenario, {
      checkpointer,
      outbox,
      workspace,
      latency: false,
      answered: state?.usage,
    });
  const thread = `email-${name}`;
  return {
    outbox,
    workspace,
    start: () => run(agentFor(), { goal: emailScenario.goal }, { thread, context: {} }),
    resume: (state: PlanExecuteStateType, value: unknown) =>
      run(agentFor(state), new Command({ resume: value }), { thread }),
  };
}

describe("the email demo scenario", () => {
  it("approved: sends the email and ends as before, without using the replanner's reply", async () => {
    const d = demo("approve");
    const first = await d.start();
    expect(first.interrupts).toHaveLength(1);
    const second = await d.resume(first.state, { action: "approve" });
    expect(second.state.error).toBeNull();
    expect(second.state.finalAnswer).toBe(
      "NVIDIA's 2024 revenue is 2.36 times AMD's [step_4], from the figures in [step_1] and [step_2]; " +
        "the result was emailed to team@example.com [step_5].",
    );
    expect(second.state.usage.planner?.calls).toBe(1);
    expect(second.state.replans).toBe(0);
    expect(readdirSync(d.outbox)).toHaveLength(1);
    expect(existsSync(join(d.workspace, EMAIL_DRAFT_PATH))).toBe(false);
  });

  it("rejected: the replanner keeps the finished steps and saves a draft instead of sending", async () => {
    const d = demo("reject");
    const first = await d.start();
    expect(first.interrupts).toHaveLength(1);
    const second = await d.resume(first.state, { action: "reject", reason: "not today" });

    expect(second.state.error).toBeNull();
    expect(second.state.steps.step_5).toMatchObject({
      status: "rejected",
      error: "rejected by a person: not today",
    });
    expect(second.state.replans).toBe(1);
    expect(second.state.plan.map((s) => s.id)).toEqual(["step_1", "step_2", "step_3", "step_4", "step_6"]);
    expect(second.state.steps.step_6).toMatchObject({ status: "succeeded" });
    // Nothing ran twice: the finished steps were kept, only the draft step ran on resume.
    expect(eventsOf(second.events, "step_started").map((e) => e.stepId)).toEqual(["step_6"]);
    expect(second.state.usage.planner?.calls).toBe(2);

    expect(existsSync(d.outbox) ? readdirSync(d.outbox) : []).toEqual([]);
    const draft = readFileSync(join(d.workspace, EMAIL_DRAFT_PATH), "utf8");
    expect(draft).toContain("DRAFT (not sent)\nTo: team@example.com");
    expect(draft).toContain("NVIDIA's 2024 revenue is 2.36");
    expect(draft).not.toContain("{{");
    expect(second.state.finalAnswer).toContain("2.36 times AMD's [step_4]");
    expect(second.state.finalAnswer).toContain(`saved as a draft in ${EMAIL_DRAFT_PATH} [step_6]`);
  });
});
