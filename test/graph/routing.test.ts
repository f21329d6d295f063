import { END } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { resolveSettings } from "../../src/core/settings.js";
import {
  routeAfterEvaluation,
  routeAfterPlanner,
  routeAfterReplan,
  routeAfterSearch,
} from "../../src/graph/routing.js";
import { createTree, planFeatures, startNode, type SearchTree } from "../../src/plan/search.js";
import type { StepRecord, StepStatus } from "../../src/core/state.js";

const lowTools = { riskOf: () => "LOW" as const };

const step = (id: string) => ({
  id,
  description: id,
  tool: "t",
  args: {},
  depends_on: [],
  expected_output: "",
});

const judged = (status: StepStatus) => ({ ok: status === "succeeded", reason: "", by: "checks" as const });

function state(
  statuses: Record<string, StepStatus>,
  extra: Partial<Parameters<typeof routeAfterPlanner>[0]> = {},
) {
  const steps: Record<string, StepRecord> = {};
  for (const [id, status] of Object.entries(statuses)) {
    // A finished step has been judged by the time anything routes on it, unless it ran early (see below).
    const evaluation = status === "succeeded" || status === "failed" ? judged(status) : null;
    steps[id] = { id, status, error: null, attempts: 0, startedAt: null, finishedAt: null, evaluation };
  }
  return {
    plan: Object.keys(statuses).map(step),
    steps,
    error: null,
    validationErrors: [],
    planAttempts: 1,
    replans: 0,
    ...extra,
  };
}

const defaults = resolveSettings({});
const tools = { riskOf: () => "LOW" as const };

describe("routeAfterPlanner", () => {
  it("executes a valid plan", () =>
    expect(routeAfterPlanner(state({ a: "pending" }), defaults, tools)).toBe("executor"));
  it("sends an invalid plan back", () =>
    expect(routeAfterPlanner(state({}, { validationErrors: ["bad"] }), defaults, tools)).toBe("planner"));
  it("ends the run when the planner gave up", () =>
    expect(
      routeAfterPlanner(state({}, { validationErrors: ["bad"], error: "gave up" }), defaults, tools),
    ).toBe(END));
});

describe("routeAfterEvaluation", () => {
  const settings = resolveSettings({ maxReplans: 2 });
  it("sends a failed step to the replanner", () =>
    expect(routeAfterEvaluation(state({ a: "succeeded", b: "failed", c: "pending" }), settings)).toBe(
      "replanner",
    ));
  it("treats a rejected step like a failed one", () =>
    expect(routeAfterEvaluation(state({ a: "rejected" }), settings)).toBe("replanner"));
  it("answers with what there is once the replans are used up", () =>
    expect(routeAfterEvaluation(state({ a: "failed" }, { replans: 2 }), settings)).toBe("synthesizer"));
  it("goes on executing while steps are pending", () =>
    expect(routeAfterEvaluation(state({ a: "succeeded", b: "pending" }), settings)).toBe("executor"));
  it("synthesizes when every step succeeded", () =>
    expect(routeAfterEvaluation(state({ a: "succeeded", b: "succeeded" }), settings)).toBe("synthesizer"));
  it("ignores failed records that are no longer in the plan", () => {
    const s = state({ b: "succeeded" });
    s.steps.old = { ...(s.steps.b as StepRecord), id: "old", status: "failed" };
    expect(routeAfterEvaluation(s, settings)).toBe("synthesizer");
  });
});

describe("routeAfterReplan", () => {
  const settings = resolveSettings({ maxPlanAttempts: 3 });
  it("runs the recovery plan", () =>
    expect(routeAfterReplan(state({ a: "succeeded", n: "pending" }), settings, lowTools)).toBe("executor"));
  it("repairs an invalid recovery plan while attempts are left", () =>
    expect(
      routeAfterReplan(
        state({ a: "failed" }, { validationErrors: ["x"], planAttempts: 2 }),
        settings,
        lowTools,
      ),
    ).toBe("replanner"));
  it("answers partially when the recovery plan stays invalid", () =>
    expect(
      routeAfterReplan(
        state({ a: "failed" }, { validationErrors: ["x"], planAttempts: 3 }),
        settings,
        lowTools,
      ),
    ).toBe("synthesizer"));
  it("answers partially when the replanner gave up (failed step still in the plan)", () =>
    expect(routeAfterReplan(state({ a: "failed", b: "pending" }), settings, lowTools)).toBe("synthesizer"));
  it("sends recovery steps that ran early (not judged yet) to the executor and on to the evaluator", () => {
    const early = (statuses: Record<string, StepStatus>, unjudged: string) => {
      const s = state(statuses);
      s.steps[unjudged] = { ...s.steps[unjudged]!, evaluation: null };
      return s;
    };
    // All of the recovery ran early: nothing is pending, yet it is judged before the answer.
    expect(routeAfterReplan(early({ a: "succeeded", r: "succeeded" }, "r"), settings, lowTools)).toBe(
      "executor",
    );
    // An early recovery step failed: judged, then replanned from the evaluator (not answered at once).
    expect(routeAfterReplan(early({ a: "failed", r: "failed", n: "pending" }, "r"), settings, lowTools)).toBe(
      "executor",
    );
  });
});

describe("plan search routing", () => {
  const tree = (patch: Partial<SearchTree> = {}): SearchTree => {
    const plan = [step("a")];
    const features = planFeatures(plan, { riskOf: () => "LOW", maxSteps: 12 });
    const t = startNode(
      createTree("uct", [
        { plan, features, judge: 0.9, judgeReason: null },
        { plan, features, judge: 0.5, judgeReason: null },
      ]),
      "n1",
      1,
    );
    return { ...t, ...patch };
  };

  it("sends a failed or finished running plan to the search node, without a budget check", () => {
    const over = resolveSettings({ maxStepsExecuted: 1 });
    expect(routeAfterEvaluation(state({ a: "failed" }, { planSearch: tree() }), over)).toBe("search");
    expect(routeAfterEvaluation(state({ a: "succeeded" }, { planSearch: tree() }), defaults)).toBe("search");
    expect(routeAfterEvaluation(state({ a: "pending" }, { planSearch: tree() }), defaults)).toBe("executor");
  });

  it("answers once the search is exhausted, even with replans left", () => {
    const ended = tree({
      ended: "exhausted",
      nodes: tree().nodes.map((n) => ({ ...n, status: "failed" as const })),
    });
    expect(routeAfterEvaluation(state({ a: "failed" }, { planSearch: ended }), defaults)).toBe("synthesizer");
  });

  it("after the search: replanner for an expansion, executor for a chosen plan (budget first), else the answer", () => {
    expect(
      routeAfterSearch(state({ a: "failed" }, { planSearch: tree({ expanding: "n1" }) }), defaults, lowTools),
    ).toBe("replanner");
    expect(routeAfterSearch(state({ b: "pending" }, { planSearch: tree() }), defaults, lowTools)).toBe(
      "executor",
    );
    const spent = state({ a: "succeeded", b: "pending" }, { planSearch: tree() });
    (spent.steps.a as StepRecord).startedAt = 1;
    expect(routeAfterSearch(spent, resolveSettings({ maxStepsExecuted: 1 }), lowTools)).toBe("budget");
    expect(routeAfterSearch(state({ a: "succeeded" }, { planSearch: tree() }), defaults, lowTools)).toBe(
      "synthesizer",
    );
  });

  it("a recovery the replanner could not write goes back to the search", () => {
    const expanding = tree({ expanding: "n1" });
    expect(routeAfterReplan(state({ a: "failed" }, { planSearch: expanding }), defaults, lowTools)).toBe(
      "search",
    );
    expect(
      routeAfterReplan(
        state({ a: "failed" }, { planSearch: expanding, validationErrors: ["bad"], planAttempts: 3 }),
        defaults,
        lowTools,
      ),
    ).toBe("search");
  });
});
