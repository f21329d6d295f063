import { describe, expect, it } from "vitest";
import {
  clipRefusedPlan,
  limitIssues,
  MAX_DESCRIPTION_CHARS,
  MAX_PLAN_CHARS,
  MAX_REPORTED_ISSUES,
} from "../../src/plan/limits.js";
import { encodePlan, type PlanStep } from "../../src/plan/schema.js";

const step = (id: string, over: Partial<PlanStep> = {}): PlanStep => ({
  id,
  description: "d",
  tool: "echo",
  args: { text: id },
  depends_on: [],
  expected_output: "e",
  ...over,
});

describe("limitIssues", () => {
  it("passes a short list through", () => {
    expect(limitIssues(["a", "b"])).toEqual(["a", "b"]);
  });

  it("lists the first problems and counts the rest", () => {
    const many = Array.from({ length: 50 }, (_, i) => `problem ${i}`);
    const kept = limitIssues(many);
    expect(kept).toHaveLength(MAX_REPORTED_ISSUES);
    expect(kept.at(-2)).toBe(`problem ${MAX_REPORTED_ISSUES - 2}`);
    expect(kept.at(-1)).toBe(`…and ${50 - MAX_REPORTED_ISSUES + 1} more problems; fix the ones above first.`);
  });
});

describe("clipRefusedPlan", () => {
  it("leaves text within its limits as it is", () => {
    const plan = [step("a", { description: "x".repeat(MAX_DESCRIPTION_CHARS) })];
    expect(clipRefusedPlan(plan)).toEqual(plan);
  });

  it("cuts a runaway field to its start and says how much was left out", () => {
    const [clipped] = clipRefusedPlan([step("a", { description: "x".repeat(1_000_000) })]);
    expect(clipped?.description).toBe(`${"x".repeat(200)}… (999,800 more characters)`);
  });

  it("drops args over the limit and steps past the whole-plan limit", () => {
    const big = { text: "y".repeat(30_000) };
    expect(clipRefusedPlan([step("a", { args: big })])[0]?.args).toEqual({});
    const many = Array.from({ length: 5_000 }, (_, i) => step(`s${i}`, { description: "z".repeat(1_000) }));
    const kept = clipRefusedPlan(many);
    expect(kept.length).toBeLessThan(many.length);
    expect(JSON.stringify(encodePlan(kept)).length).toBeLessThanOrEqual(MAX_PLAN_CHARS);
  });
});
