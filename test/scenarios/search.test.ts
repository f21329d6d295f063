import { describe, expect, it } from "vitest";
import { MemorySaver } from "@langchain/langgraph";
import { createPlanExecuteAgent } from "../../src/agent/agent.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { searchScenario } from "../../src/demo/search.js";
import { nodeById } from "../../src/plan/search.js";
import type { ModelRole } from "../../src/core/roles.js";
import { ScriptedChatModel } from "../../src/testing/scripted.js";
import { scenarioModels, scenarioTools } from "../../src/demo/agent.js";
import { eventsOf, run } from "../helpers/agent.js";

describe("the search demo scenario", () => {
  it("recovers through the second candidate: the first choice fails, no new plan is asked for, the shared search is reused", async () => {
    const models: Record<ModelRole, ScriptedChatModel> = scenarioModels(searchScenario);
    const agent = createPlanExecuteAgent({
      models,
      tools: new ToolRegistry(scenarioTools({ latency: false })),
      checkpointer: new MemorySaver(),
    });
    const { state, events } = await run(
      agent,
      { goal: searchScenario.goal },
      { context: { ...searchScenario.context, demoScenario: "search" } },
    );
    expect(state.error).toBeNull();
    expect(models.planner.callCount).toBe(1);
    expect(eventsOf(events, "plan_candidates")[0]).toMatchObject({ chosen: "n1", valuedBy: "judge" });
    expect(eventsOf(events, "search_step")[0]).toMatchObject({
      node: "n1",
      outcome: "failed",
      next: { kind: "run", node: "n2" },
      reused: { step_1: "step_1" },
    });
    const started = eventsOf(events, "step_started").map((e) => e.stepId);
    expect(started.filter((id) => id === "step_1")).toHaveLength(1);
    expect(state.steps.step_3?.output).toBeCloseTo(979882 / 319.9, 3);
    expect(nodeById(state.planSearch!, "n2")).toMatchObject({ status: "succeeded" });
    expect(state.finalAnswer).toMatch(/3,063 people per square mile \[step_3\]/);
    expect(state.answerReview).toMatchObject({ passed: true });
  });
});
