import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, MemorySaver } from "@langchain/langgraph";
import { afterAll, describe, expect, it } from "vitest";
import { LiveTable } from "../../src/cli/live-table.js";
import { ProgressRenderer } from "../../src/cli/render.js";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { createScenarioAgent } from "../../src/demo/agent.js";
import { SCENARIOS, type Scenario } from "../../src/demo/index.js";
import { reviewScenario } from "../../src/demo/review.js";
import { eventsOf, run, type RunResult } from "../helpers/agent.js";

const dir = mkdtempSync(join(tmpdir(), "pe-bundled-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A bundled scenario as `plan-execute demo` plays it, offline: its scripted models, the real tools,
 * its own settings; a stop for a person is approved (a new agent continues the script, as the CLI
 * does in a new process).
 */
async function play(scenario: Scenario): Promise<RunResult & { events: RunResult["events"] }> {
  const checkpointer = new MemorySaver();
  const workspace = join(dir, scenario.name, "workspace");
  const outbox = join(dir, scenario.name, "outbox");
  await scenario.prepare?.(workspace);
  const agentFor = (state?: PlanExecuteStateType) =>
    createScenarioAgent(scenario, {
      checkpointer,
      workspace,
      outbox,
      latency: false,
      answered: state?.usage,
    });
  const thread = `bundled-${scenario.name}`;
  const context = { ...scenario.context, demoScenario: scenario.name };
  let result = await run(agentFor(), { goal: scenario.goal }, { thread, context });
  const events = [...result.events];
  for (let stops = 0; result.interrupts.length > 0 && stops < 3; stops++) {
    result = await run(agentFor(result.state), new Command({ resume: { action: "approve" } }), { thread });
    events.push(...result.events);
  }
  return { ...result, events };
}

describe("every bundled demo scenario", () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    "%s answers, and its answer passes the answer review",
    async (_name, scenario) => {
      const { state, interrupts } = await play(scenario);
      expect(interrupts).toEqual([]);
      expect(state.error).toBeNull();
      expect(state.finalAnswer).toBeTruthy();
      expect(state.answerReview).toMatchObject({ passed: true, findings: [] });
    },
    90_000,
  );
});

describe("the review demo scenario", () => {
  it("revises a weak first draft with the critic's feedback, and the answer review catches a figure no step computed", async () => {
    const { state, events } = await play(reviewScenario);
    const growth = (id: string) => Number(state.steps[id]?.output);
    // The figures come from the corpus and the calculator at run time.
    expect(growth("step_5")).toBeCloseTo(((60.92 - 26.97) / 26.97) * 100, 6);
    expect(growth("step_6")).toBeCloseTo(((25.79 - 22.68) / 22.68) * 100, 6);

    // Reflection: the first draft covered NVIDIA only; the critic said so; the revision passed.
    const reflection = state.steps.step_7?.reflection;
    expect(state.plan.find((s) => s.id === "step_7")?.reflect).toBe(true);
    expect(reflection).toMatchObject({ kept: 1, approved: true, stopped: "approved" });
    expect(reflection?.drafts[0]).toMatchObject({ revision: 0, pass: false, score: 0.4 });
    expect(reflection?.drafts[0]?.output).not.toContain("AMD");
    expect(reflection?.drafts[0]?.feedback).toMatch(/covers only NVIDIA/);
    expect(reflection?.drafts[1]).toMatchObject({ revision: 1, pass: true, score: 0.9 });
    expect(state.steps.step_7?.output).toContain(`AMD's grew ${growth("step_6").toFixed(2)}%`);
    expect(eventsOf(events, "step_revised")).toEqual([
      expect.objectContaining({ stepId: "step_7", revision: 1, score: 0.4 }),
    ]);

    // The answer review: the first answer's multiple was worked out in the model's head.
    const times = (growth("step_5") / growth("step_6")).toFixed(2);
    const reviews = eventsOf(events, "answer_reviewed");
    expect(reviews.map((r) => [r.round, r.passed, r.revise])).toEqual([
      [1, false, true],
      [2, true, false],
    ]);
    expect(reviews[0]?.findings[0]).toBe(
      `The answer states "${times}", but no step produced that number: take it from a step's result or leave it out.`,
    );
    // The checks caught it, so no model reviewer was asked about that answer; the next one it passed.
    expect(reviews[0]?.findings).toHaveLength(1);
    // The round added a calculator step for it; the new answer cites it.
    expect(eventsOf(events, "replanned")).toEqual([
      expect.objectContaining({ review: true, steps: [expect.objectContaining({ id: "step_8" })] }),
    ]);
    expect(Number(state.steps.step_8?.output).toFixed(2)).toBe(times);
    expect(state.finalAnswer).toContain(`${times} times AMD's [step_8]`);
    expect(state.answerReview).toMatchObject({ round: 2, passed: true, by: ["checks", "reviewer"] });
    expect(state.replans).toBe(0);

    // The CLI shows each of these events in a line.
    let log = "";
    const renderer = new ProgressRenderer({ write: (t) => (log += t) }, { colors: false });
    for (const e of events) renderer.event(e);
    const lines = log.split("\n");
    expect(
      lines.filter((l) =>
        l.includes("↺ step_7 revision 1 (draft scored 0.40): The briefing covers only NVIDIA"),
      ),
    ).toHaveLength(1);
    expect(
      lines.filter((l) => /✗ answer review \(checks\): The answer states ".*→ one more round$/.test(l)),
    ).toHaveLength(1);
    expect(lines.filter((l) => l.includes("new steps for the answer review:"))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith("✓ answer review passed (checks + reviewer)"))).toHaveLength(1);
    let screen = "";
    const table = new LiveTable({ write: (t) => (screen += t) });
    for (const e of events) table.event(e);
    table.stop();
    expect(screen).toContain("answer review");
    expect(screen).toContain("step_8");
  }, 90_000);
});
