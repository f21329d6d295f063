import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareSalesWorkspace, salesScenario, salesScenarioTools } from "../../src/demo/sales.js";
import { run, scriptedAgent } from "../helpers/agent.js";

let ws: string;

beforeAll(async () => {
  ws = await mkdtemp(path.join(tmpdir(), "pe-sales-"));
  await prepareSalesWorkspace(ws);
});

afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
});

describe("the sales scenario", () => {
  it("loads the CSV, analyses it in parallel and writes an executive summary from real tool outputs", async () => {
    const { agent, models } = scriptedAgent(salesScenario.script, salesScenarioTools(ws));
    const { state } = await run(agent, { goal: salesScenario.goal }, { context: salesScenario.context });
    for (const id of ["step_1", "step_2", "step_3", "step_4", "step_5"]) {
      expect(state.steps[id]?.status, id).toBe("succeeded");
    }
    const summary = state.steps.step_5?.output as string;
    expect(summary).toMatch(/^Total revenue across 192 region-product-months was \$723,131\./);
    expect(summary).toContain("West leads with $223,727 (31%)");
    expect(summary).toContain("South trails at $123,837 (17%)");
    expect(summary).toContain("3 rows stand more than 3 standard deviations");
    expect(summary).toContain("East Gizmo in 2024-08: revenue $43,294 (z 9.68)");
    expect(summary).toContain("West Sprocket in 2024-11: units 3192 (z 13.19), revenue $36,964 (z 8.13)");
    expect(summary).toContain("North Gadget in 2024-06");
    // The summary step ran on the executor model and was checked by the critic (which approved the
    // first draft); the evaluator model also reviewed the answer.
    expect(models.executor.callCount).toBe(1);
    expect(models.evaluator.callCount).toBe(2);
    expect(state.answerReview).toMatchObject({ passed: true, by: ["checks", "reviewer"] });
    expect(state.finalAnswer).toContain(`${summary} [step_5]`);
    expect(state.finalAnswer).toMatch(/\[step_4\].*\[step_2\].*\[step_3\].*\[step_1\]/);
  });
});
