import { describe, expect, it } from "vitest";
import { reactTurns, type Call } from "../../bench/tokens.js";
import { SCENARIOS } from "../../src/demo/index.js";
import type { Scenario } from "../../src/demo/types.js";
import type { PlanStep } from "../../src/plan/schema.js";

const MODEL_TOOLS = new Set(["llm", "summarize"]);

/** The calls this agent makes for a scenario's scripted plans, with the plans' own args standing in for resolved ones. */
function callsOf(scenario: Scenario, plans: number): Call[] {
  return (scenario.script.planner ?? []).slice(0, plans).flatMap((reply) =>
    (reply as { structured: { steps: (Omit<PlanStep, "args"> & { args: string })[] } }).structured.steps.map(
      (s) => {
        const step = { ...s, args: JSON.parse(s.args) as Record<string, unknown> };
        return { step, args: step.args, usesModel: MODEL_TOOLS.has(s.tool) };
      },
    ),
  );
}

const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;
const shape = (turns: ReturnType<typeof reactTurns>) =>
  turns.map((t) => t.map((c) => c.id.replace("call_", "")));

describe("the ReAct baseline's turns", () => {
  it("sends independent calls together and leaves model steps to the ReAct model", () => {
    expect(shape(reactTurns(scenario("ratio"), callsOf(scenario("ratio"), 1)))).toEqual([
      ["step_1", "step_2"],
      ["step_4"],
    ]);
  });

  it("puts a recovery plan's steps after the plan they replace", () => {
    expect(shape(reactTurns(scenario("recover"), callsOf(scenario("recover"), 2)))).toEqual([
      ["step_1"],
      ["step_2"],
      ["step_3"],
      ["step_4"],
    ]);
  });

  it("passes the file's path where the plan passes load_csv rows on, unless told to copy them", () => {
    const sales = scenario("sales");
    const turns = reactTurns(sales, callsOf(sales, 1));
    expect(shape(turns)).toEqual([["step_1"], ["step_2", "step_3", "step_4"]]);
    expect(turns[1]![0]!.args).toEqual({ path: "sales.csv" });
    const copied = reactTurns(sales, callsOf(sales, 1), { copyRows: true });
    expect(copied[1]![0]!.args).toEqual({ rows: "{{step_1.output.rows}}" });
  });
});
