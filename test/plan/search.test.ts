import { describe, expect, it } from "vitest";
import type { PlanStep } from "../../src/plan/schema.js";
import {
  adaptPlan,
  addRecovery,
  combineValue,
  createTree,
  dedupeCandidates,
  describeTree,
  featureScore,
  finishNode,
  nodeById,
  planFeatures,
  planKey,
  runReward,
  selectNext,
  startNode,
  type ScoredCandidate,
  type SearchTree,
} from "../../src/plan/search.js";

const step = (
  id: string,
  tool: string,
  args: Record<string, unknown> = {},
  deps: string[] = [],
): PlanStep => ({
  id,
  description: `step ${id}`,
  tool,
  args,
  depends_on: deps,
  expected_output: "x",
});
const riskOf = (tool: string) => (tool === "send_email" ? "HIGH" : "LOW") as "LOW" | "HIGH";
const features = (plan: PlanStep[]) => planFeatures(plan, { riskOf, maxSteps: 12 });
const candidate = (plan: PlanStep[], judge: number | null): ScoredCandidate => ({
  plan,
  features: features(plan),
  judge,
  judgeReason: null,
});

describe("deterministic features", () => {
  it("counts steps, the dependency chain, HIGH-risk steps and estimated tokens", () => {
    const plan = [step("a", "search"), step("b", "search"), step("c", "send_email", {}, ["a", "b"])];
    const f = features(plan);
    expect(f).toMatchObject({ steps: 3, depth: 2, highRisk: 1 });
    expect(f.estimatedTokens).toBeGreaterThan(0);
  });

  it("scores smaller, more parallel, lower-risk plans higher", () => {
    const base = { steps: 3, depth: 1, highRisk: 0, estimatedTokens: 200 };
    const s = featureScore(base, 12);
    expect(featureScore({ ...base, steps: 6 }, 12)).toBeLessThan(s);
    expect(featureScore({ ...base, depth: 3 }, 12)).toBeLessThan(s);
    expect(featureScore({ ...base, highRisk: 1 }, 12)).toBeLessThan(s);
    expect(featureScore({ ...base, estimatedTokens: 3000 }, 12)).toBeLessThan(s);
    expect(s).toBeGreaterThan(0);
    expect(s).toBeLessThanOrEqual(1);
  });

  it("combines the judge with the features; without a judge the features decide", () => {
    expect(combineValue(null, 0.42)).toBe(0.42);
    expect(combineValue(1, 0)).toBe(0.7);
    expect(combineValue(0.5, 1)).toBe(0.65);
  });

  it("rewards a success with 1 and a failure with at most 0.5, more for more finished steps", () => {
    expect(runReward(true, 0, 3)).toBe(1);
    expect(runReward(false, 0, 4)).toBe(0);
    expect(runReward(false, 2, 4)).toBe(0.25);
  });
});

describe("duplicates", () => {
  it("gives the same key to plans that differ only in ids, descriptions and order", () => {
    const a = [
      step("s1", "search", { q: "x" }),
      step("s2", "calculator", { e: "{{s1.output}} * 2" }, ["s1"]),
    ];
    const b = [step("b", "calculator", { e: "{{a.output}} * 2" }, ["a"]), step("a", "search", { q: "x" })];
    const c = [
      step("s1", "search", { q: "y" }),
      step("s2", "calculator", { e: "{{s1.output}} * 2" }, ["s1"]),
    ];
    expect(planKey(a)).toBe(planKey(b));
    expect(planKey(a)).not.toBe(planKey(c));
    const { unique, mergedInto } = dedupeCandidates([{ plan: a }, { plan: c }, { plan: b }]);
    expect(unique).toHaveLength(2);
    expect(mergedInto).toEqual([0, 1, 0]);
  });
});

function threeCandidates(selection: "uct" | "best_first"): SearchTree {
  return createTree(selection, [
    candidate([step("a", "search", { q: "1" })], 0.9),
    candidate([step("a", "search", { q: "2" })], 0.6),
    candidate([step("a", "search", { q: "3" })], 0.3),
  ]);
}

describe("selection and back-propagation", () => {
  it("runs the best-valued candidate first, in both modes", () => {
    for (const mode of ["uct", "best_first"] as const) {
      expect(selectNext(threeCandidates(mode), { canExpand: true, exploration: 1 })).toEqual({
        kind: "run",
        node: "n1",
      });
    }
  });

  it("back-propagates a failure to the node and its ancestors, and moves on to the next sibling", () => {
    let tree = startNode(threeCandidates("uct"), "n1", 1);
    tree = finishNode(tree, "n1", "failed", 0.25, "a failed");
    const n1 = nodeById(tree, "n1");
    const root = nodeById(tree, "n0");
    expect(n1).toMatchObject({ status: "failed", visits: 1, valueSum: 0.25, note: "a failed" });
    expect(root).toMatchObject({ visits: 1, valueSum: 0.25 });
    expect(selectNext(tree, { canExpand: true, exploration: 1 })).toEqual({ kind: "run", node: "n2" });
  });

  it("propagates a recovery child's result through its failed parent to the root", () => {
    let tree = startNode(threeCandidates("uct"), "n1", 1);
    tree = finishNode(tree, "n1", "failed", 0.2, null);
    const added = addRecovery(tree, "n1", [step("b", "search")], features([step("b", "search")]));
    tree = startNode(added.tree, added.id, 2);
    tree = finishNode(tree, added.id, "succeeded", 1, null);
    expect(nodeById(tree, "n1")).toMatchObject({ visits: 2, valueSum: 1.2 });
    expect(nodeById(tree, "n0")).toMatchObject({ visits: 2, valueSum: 1.2 });
    expect(nodeById(tree, added.id)).toMatchObject({ parent: "n1", kind: "recovery", visits: 1 });
    expect(describeTree(tree).join("\n")).toMatch(/^ n1 candidate failed .*\n {2}\*n4 recovery succeeded/);
  });

  it("best-first expands a failed plan whose partial progress beats every open sibling; UCT explores the sibling", () => {
    const low = (mode: "uct" | "best_first") =>
      createTree(mode, [
        candidate([step("a", "search", { q: "1" })], 0.9),
        candidate([step("a", "search", { q: "2" })], 0.0),
      ]);
    for (const mode of ["uct", "best_first"] as const) {
      let tree = startNode(low(mode), "n1", 1);
      tree = finishNode(tree, "n1", "failed", 0.45, null);
      const next = selectNext(tree, { canExpand: true, exploration: 1 });
      // n2's value: 0.7·0 + 0.3·features (≈0.29) < 0.45 for best-first; UCT adds an exploration bonus to the unvisited n2.
      expect(next).toEqual(
        mode === "best_first" ? { kind: "expand", node: "n1" } : { kind: "run", node: "n2" },
      );
    }
  });

  it("returns null once every plan ran and none may be expanded", () => {
    let tree = createTree("uct", [candidate([step("a", "search")], 0.5)]);
    tree = finishNode(startNode(tree, "n1", 1), "n1", "failed", 0, null);
    expect(selectNext(tree, { canExpand: false, exploration: 1 })).toBeNull();
    expect(selectNext(tree, { canExpand: true, exploration: 1 })).toEqual({ kind: "expand", node: "n1" });
    const noRecovery = {
      ...tree,
      nodes: tree.nodes.map((n) => (n.id === "n1" ? { ...n, noRecovery: true } : n)),
    };
    expect(selectNext(noRecovery, { canExpand: true, exploration: 1 })).toBeNull();
  });
});

describe("adapting a sibling to what finished", () => {
  const outputs = new Map<string, unknown>([["step_1", { population: 974447 }]]);
  const finished = [{ id: "step_1", tool: "search", args: { query: "Austin population" } }];

  it("reuses a finished step with the same tool and resolved args, renames clashing ids and rewrites references", () => {
    const sibling = [
      step("step_1", "search", { query: "Austin population" }),
      step("step_2", "search", { query: "Austin area" }),
      step("step_3", "calculator", { expression: "{{step_1.output.population}} / {{step_2.output}}" }, [
        "step_1",
        "step_2",
      ]),
    ];
    const adapted = adaptPlan(sibling, finished, outputs, new Set(["step_1", "step_2"]), "n2");
    expect(adapted.reused).toEqual({ step_1: "step_1" });
    expect(adapted.renamed).toEqual({ step_2: "step_2_n2" });
    expect(adapted.steps.map((s) => s.id)).toEqual(["step_2_n2", "step_3"]);
    expect(adapted.steps[1]?.args).toEqual({
      expression: "{{step_1.output.population}} / {{step_2_n2.output}}",
    });
    expect(adapted.steps[1]?.depends_on).toEqual(["step_1", "step_2_n2"]);
  });

  it("does not reuse a step whose args differ, or whose tool differs", () => {
    const sibling = [
      step("x", "search", { query: "Austin population 2020" }),
      step("y", "web_search", { query: "Austin population" }),
    ];
    const adapted = adaptPlan(sibling, finished, outputs, new Set(["step_1"]), "n2");
    expect(adapted.reused).toEqual({});
    expect(adapted.steps.map((s) => s.id)).toEqual(["x", "y"]);
  });

  it("compares resolved args: a dependent step matches when its references resolve to the same values", () => {
    const outs = new Map<string, unknown>([
      ["a", 10],
      ["b", 20],
    ]);
    const done = [
      { id: "a", tool: "lookup", args: { k: "x" } },
      { id: "b", tool: "double", args: { n: "{{a.output}}" } },
    ];
    const sibling = [step("p", "lookup", { k: "x" }), step("q", "double", { n: "{{p.output}}" }, ["p"])];
    expect(adaptPlan(sibling, done, outs, new Set(["a", "b"]), "n3").reused).toEqual({ p: "a", q: "b" });
  });
});
