import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, MemorySaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPlanExecuteAgent } from "../../src/agent/agent.js";
import type { PlanExecuteContext } from "../../src/core/settings.js";
import { MODEL_ROLES } from "../../src/core/roles.js";
import { nodeById } from "../../src/plan/search.js";
import { ScriptedChatModel, type ScriptedReply } from "../../src/testing/scripted.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { ToolInputError } from "../../src/tools/types.js";
import { eventsOf, plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "pe-search-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Step = { id: string; tool: string; args?: Record<string, unknown>; depends_on?: string[] };

/** A planner reply with several candidate plans. */
function candidates(...plans: Step[][]): ScriptedReply {
  return {
    structured: {
      candidates: plans.map((steps) => (plan(...steps) as { structured: unknown }).structured),
    },
  };
}
const judge = (...scores: number[]): ScriptedReply => ({
  structured: { scores: scores.map((score, i) => ({ candidate: i + 1, score, reason: `reason ${i + 1}` })) },
});

const FACTS: Record<string, number> = { pop: 1000, area: 250 };
const tools = () => ({
  search: fakeTool("search", z.object({ q: z.string() }).strict(), (a) => {
    if (!(a.q in FACTS)) throw new ToolInputError(`nothing found for ${a.q}`);
    return FACTS[a.q];
  }),
  calc: fakeTool("calc", z.object({ e: z.string() }).strict(), (a) => {
    const m = a.e.match(/^(\d+)\/(\d+)$/);
    if (!m) throw new ToolInputError(`cannot evaluate ${a.e}`);
    return Number(m[1]) / Number(m[2]);
  }),
  deploy: fakeTool(
    "deploy",
    z.object({ target: z.string() }).strict(),
    (a) => `deployed ${a.target}`,
    "HIGH",
  ),
});

/** A: looks up the population and divides by a symbol it never looked up (fails). */
const PLAN_A: Step[] = [
  { id: "s1", tool: "search", args: { q: "pop" } },
  { id: "s2", tool: "calc", args: { e: "{{s1.output}}/area" }, depends_on: ["s1"] },
];
/** B: the same population search (reused), the area search, then the division. */
const PLAN_B: Step[] = [
  { id: "s1", tool: "search", args: { q: "pop" } },
  { id: "s2", tool: "search", args: { q: "area" } },
  { id: "s3", tool: "calc", args: { e: "{{s1.output}}/{{s2.output}}" }, depends_on: ["s1", "s2"] },
];
/** C: a search that finds nothing (fails). */
const PLAN_C: Step[] = [{ id: "s1", tool: "search", args: { q: "density" } }];

const SEARCH = (extra: Partial<PlanExecuteContext["planSearch"] & object> = {}): PlanExecuteContext => ({
  planSearch: { candidates: 3, ...extra },
});

describe("plan search", () => {
  it("approvePlan always: the sibling it falls back to stops for a person too, with the reused step kept", async () => {
    const t = tools();
    const { agent } = scriptedAgent(
      {
        planner: [candidates(PLAN_A, PLAN_B)],
        evaluator: [judge(0.9, 0.6)],
        synthesizer: ["density 4 [s3]"],
      },
      Object.values(t),
    );
    const context = { ...SEARCH(), approvePlan: "always" as const };
    const first = await run(agent, { goal: "density" }, { context });
    const stop1 = (first.interrupts[0] as { value: { version: number; candidates?: unknown[] } }).value;
    expect(stop1).toMatchObject({ type: "plan_approval", version: 1 });
    expect(stop1.candidates).toHaveLength(2);
    const second = await run(agent, new Command({ resume: { action: "approve" } }), { thread: first.thread });
    // A failed; the search switches to B, whose new steps wait for a person's decision.
    const stop2 = (second.interrupts[0] as { value: Record<string, unknown> }).value;
    expect(stop2).toMatchObject({ type: "plan_approval", version: 2 });
    expect((stop2.steps as { id: string }[]).map((s) => s.id)).toEqual(["s2_n2", "s3"]);
    expect((stop2.kept as { id: string }[]).map((s) => s.id)).toEqual(["s1"]);
    expect(stop2.candidates).toBeUndefined(); // no picking once something ran
    expect(t.search.calls).toEqual([{ q: "pop" }]);
    const third = await run(agent, new Command({ resume: { action: "approve" } }), { thread: first.thread });
    expect(third.state.finalAnswer).toBe("density 4 [s3]");
    expect(t.search.calls).toEqual([{ q: "pop" }, { q: "area" }]);
  });
  it("runs the best-valued candidate; when it fails, a sibling runs with no new planner call, reusing the finished step", async () => {
    const t = tools();
    const { agent, models } = scriptedAgent(
      {
        planner: [candidates(PLAN_A, PLAN_B)],
        evaluator: [judge(0.9, 0.6)],
        synthesizer: ["density 4 [s3]"],
      },
      Object.values(t),
    );
    const { state, events } = await run(agent, { goal: "density" }, { context: SEARCH() });

    expect(state.finalAnswer).toBe("density 4 [s3]");
    // One planner call (the candidates), no replanner call: the planner model answered once.
    expect(models.planner.callCount).toBe(1);
    expect(models.evaluator.callCount).toBe(1);
    // s1 (search pop) ran once and was reused; only B's new steps ran after the switch.
    expect(t.search.calls).toEqual([{ q: "pop" }, { q: "area" }]);
    expect(t.calc.calls).toEqual([{ e: "1000/area" }, { e: "1000/250" }]);
    expect(state.plan.map((s) => s.id)).toEqual(["s1", "s2_n2", "s3"]);
    expect(state.steps.s3?.output).toBe(4);
    expect(state.steps.s2?.status).toBe("failed");

    const cands = eventsOf(events, "plan_candidates")[0];
    expect(cands).toMatchObject({ chosen: "n1", valuedBy: "judge", judgeNote: null, merged: 0 });
    const steps = eventsOf(events, "search_step");
    expect(steps[0]).toMatchObject({
      node: "n1",
      outcome: "failed",
      reward: 0.25,
      next: { kind: "run", node: "n2" },
      reused: { s1: "s1" },
    });
    expect(steps[1]).toMatchObject({ node: "n2", outcome: "succeeded", reward: 1, next: null });
    expect(eventsOf(events, "replanned")).toHaveLength(0);

    // Values back-propagate: each node's visits and reward sum, and the root's over both runs.
    const tree = state.planSearch!;
    expect(nodeById(tree, "n1")).toMatchObject({ status: "failed", visits: 1, valueSum: 0.25, judge: 0.9 });
    expect(nodeById(tree, "n2")).toMatchObject({ status: "succeeded", visits: 1, valueSum: 1, judge: 0.6 });
    expect(nodeById(tree, "n0")).toMatchObject({ visits: 2, valueSum: 1.25 });
    expect(tree.current).toBe("n2");
    expect(nodeById(tree, "n2")?.note).toMatch(/reused s1/);
  });

  it("keeps today's behaviour with candidates 1: one plan, no judge, no tree, the replanner recovers", async () => {
    const t = tools();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan(...PLAN_A),
          plan(
            { id: "s3", tool: "search", args: { q: "area" } },
            { id: "s4", tool: "calc", args: { e: "{{s1.output}}/{{s3.output}}" }, depends_on: ["s1", "s3"] },
          ),
        ],
        synthesizer: ["ok"],
      },
      Object.values(t),
    );
    const { state, events } = await run(agent, { goal: "g" });
    expect(state.planSearch).toBeNull();
    expect(models.evaluator.callCount).toBe(0);
    expect(models.planner.callCount).toBe(2);
    expect(eventsOf(events, "plan_candidates")).toHaveLength(0);
    expect(state.steps.s4?.output).toBe(4);
  });

  it("lets the deterministic features decide when the judge's scores are out of range or do not parse, and says so", async () => {
    for (const [reply, note] of [
      [judge(0.2, 7), /score 7 for candidate 2 is outside 0–1/],
      [{ structured: { verdict: "both fine" } }, /could not be read/],
      [judge(0.5), /no score for candidate 2/],
      // The judge's endpoint fails (after the client's own retries): the search goes on without it.
      [{ error: "503 Service Unavailable" }, /the judge could not be asked: 503 Service Unavailable/],
    ] as const) {
      const t = tools();
      const { agent } = scriptedAgent(
        { planner: [candidates(PLAN_A, PLAN_B)], evaluator: [reply], synthesizer: ["ok"] },
        Object.values(t),
      );
      const { state, events } = await run(agent, { goal: "g" }, { context: SEARCH() });
      const e = eventsOf(events, "plan_candidates")[0]!;
      expect(e.valuedBy).toBe("features");
      expect(e.judgeNote).toMatch(note);
      const [n1, n2] = [nodeById(state.planSearch!, "n1")!, nodeById(state.planSearch!, "n2")!];
      expect([n1.judge, n2.judge]).toEqual([null, null]);
      expect(n1.prior).toBe(n1.features?.score);
      // B (its two searches run side by side) scores better on the features than A (a chain), so it runs
      // first although it is listed second.
      expect(e.chosen).toBe("n2");
    }
  });

  it("merges duplicate candidates and drops invalid ones; when all are invalid it repairs as today", async () => {
    const t = tools();
    const renamed: Step[] = [
      { id: "x", tool: "calc", args: { e: "{{y.output}}/area" }, depends_on: ["y"] },
      { id: "y", tool: "search", args: { q: "pop" } },
    ];
    const { agent, models } = scriptedAgent(
      {
        planner: [
          candidates([{ id: "a", tool: "nope" }], [{ id: "a", tool: "search", args: { q: 1 } }]),
          candidates(PLAN_A, renamed, [{ id: "z", tool: "nope" }], PLAN_B),
        ],
        evaluator: [judge(0.9, 0.5)],
        synthesizer: ["ok"],
      },
      Object.values(t),
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: SEARCH() });
    const invalid = eventsOf(events, "plan_invalid");
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.issues.join("\n")).toMatch(/candidate 1: .*unknown tool "nope"[\s\S]*candidate 2: /);
    expect(models.planner.calls[1]?.messages.map((m) => String(m.content)).join("\n")).toContain(
      'unknown tool "nope"',
    );
    const e = eventsOf(events, "plan_candidates")[0]!;
    expect(e.merged).toBe(1);
    expect(e.dropped).toEqual([{ candidate: 3, issues: [expect.stringMatching(/unknown tool "nope"/)] }]);
    expect(e.candidates.map((c) => c.node)).toEqual(["n1", "n2"]);
    expect(nodeById(state.planSearch!, "n1")?.note).toMatch(/1 duplicate candidate merged/);
    expect(state.finalAnswer).toBe("ok");
  });

  it("stops at the node cap with an honest partial answer naming what was tried", async () => {
    const t = tools();
    const { agent, models } = scriptedAgent(
      { planner: [candidates(PLAN_A, PLAN_C)], evaluator: [judge(0.9, 0.5)], synthesizer: ["partial"] },
      Object.values(t),
    );
    const { state, events } = await run(
      agent,
      { goal: "g" },
      { context: { ...SEARCH({ maxNodes: 2 }), maxReplans: 2 } },
    );
    expect(state.finalAnswer).toBe("partial");
    expect(models.planner.callCount).toBe(1); // no recovery plan: the cap is reached
    const last = eventsOf(events, "search_step").at(-1)!;
    expect(last.next).toBeNull();
    expect(last.ended).toMatch(
      /node cap \(planSearch.maxNodes 2\) reached.*Tried: n1 \(search → calc\): failed at s2.*n2 \(search\): failed at s1/,
    );
    expect(state.planSearch?.ended).toBe(last.ended);
    const prompt = models.synthesizer.calls[0]!.messages.map((m) => String(m.content)).join("\n");
    expect(prompt).toContain("did NOT complete");
    expect(prompt).toMatch(/Other plans were tried and failed[\s\S]*candidate plan n1 \(search → calc\)/);
  });

  it("stops at maxReplans, and asks the replanner for a recovery child while replans are left", async () => {
    const t = tools();
    const recovery = plan(
      { id: "r1", tool: "search", args: { q: "area" } },
      { id: "r2", tool: "calc", args: { e: "{{s1.output}}/{{r1.output}}" }, depends_on: ["s1", "r1"] },
    );
    const { agent, models } = scriptedAgent(
      {
        planner: [candidates(PLAN_A, PLAN_C), recovery],
        evaluator: [judge(0.9, 0.5)],
        synthesizer: ["4 [r2]"],
      },
      Object.values(t),
    );
    const { state, events } = await run(
      agent,
      { goal: "g" },
      { context: { ...SEARCH({ selection: "best_first" }), maxReplans: 1 } },
    );
    expect(state.finalAnswer).toBe("4 [r2]");
    expect(models.planner.callCount).toBe(2);
    // best-first: n2 (value ≈ 0.6) runs after n1 fails (mean 0.25); when n2 fails too (mean 0), n1's recovery is expanded.
    expect(eventsOf(events, "search_step").map((e) => [e.node, e.next])).toEqual([
      ["n1", { kind: "run", node: "n2" }],
      ["n2", { kind: "expand", node: "n1" }],
      ["n3", null],
    ]);
    const tree = state.planSearch!;
    expect(nodeById(tree, "n3")).toMatchObject({
      parent: "n1",
      kind: "recovery",
      status: "succeeded",
      visits: 1,
    });
    // The recovery's success reaches its parent and the root.
    expect(nodeById(tree, "n1")).toMatchObject({ visits: 2, valueSum: 1.25 });
    expect(nodeById(tree, "n0")).toMatchObject({ visits: 3, valueSum: 1.25 });
    expect(t.search.calls.filter((c) => c.q === "pop")).toHaveLength(1);

    const bounded = scriptedAgent(
      { planner: [candidates(PLAN_A, PLAN_C)], evaluator: [judge(0.9, 0.5)], synthesizer: ["partial"] },
      Object.values(tools()),
    );
    const stopped = await run(bounded.agent, { goal: "g" }, { context: { ...SEARCH(), maxReplans: 0 } });
    expect(bounded.models.planner.callCount).toBe(1);
    expect(stopped.state.planSearch?.ended).toMatch(/maxReplans \(0\) reached/);
  });

  it("stops at a budget before the sibling runs; finishing there answers with what there is", async () => {
    const t = tools();
    const { agent } = scriptedAgent(
      { planner: [candidates(PLAN_A, PLAN_B)], evaluator: [judge(0.9, 0.6)], synthesizer: ["partial"] },
      Object.values(t),
    );
    const first = await run(agent, { goal: "g" }, { context: { ...SEARCH(), maxStepsExecuted: 2 } });
    expect((first.interrupts[0] as { value: { type: string } }).value.type).toBe("budget");
    expect(first.state.planSearch?.current).toBe("n2");
    expect(t.search.calls).toEqual([{ q: "pop" }]);
    const done = await run(agent, new Command({ resume: { action: "finish" } }), { thread: first.thread });
    expect(done.state.finalAnswer).toBe("partial");
    expect(t.search.calls).toEqual([{ q: "pop" }]);
  });

  it.each([
    [
      "MemorySaver",
      () => {
        const memory = new MemorySaver();
        return () => memory;
      },
    ],
    [
      "SqliteSaver",
      () => {
        const file = join(dir, `${Math.random()}.sqlite`);
        return () => SqliteSaver.fromConnString(file);
      },
    ],
  ] as const)(
    "a resume in the middle continues the same tree, in a new agent on the same checkpointer (%s)",
    async (_name, makeSaver) => {
      const t = tools();
      // Each call opens the checkpointer (for SQLite a new saver on the same file, as another process would).
      const open = makeSaver();
      const saver = open();
      const withDeploy: Step[] = [
        ...PLAN_B,
        { id: "s4", tool: "deploy", args: { target: "site-{{s3.output}}" }, depends_on: ["s3"] },
      ];
      const { agent } = scriptedAgent(
        { planner: [candidates(PLAN_A, withDeploy)], evaluator: [judge(0.9, 0.6)] },
        Object.values(t),
        saver,
      );
      const first = await run(agent, { goal: "g" }, { context: SEARCH() });
      expect((first.interrupts[0] as { value: { type: string } }).value.type).toBe("step_approval");
      const treeBefore = first.state.planSearch!;
      expect(treeBefore.current).toBe("n2");

      // Another process: new models (no planner or judge reply left to give), the same checkpointer.
      const models = Object.fromEntries(
        MODEL_ROLES.map((r) => [
          r,
          new ScriptedChatModel({ name: r, replies: r === "synthesizer" ? ["deployed"] : [] }),
        ]),
      ) as Record<(typeof MODEL_ROLES)[number], ScriptedChatModel>;
      const again = createPlanExecuteAgent({
        models,
        tools: new ToolRegistry(Object.values(t)),
        checkpointer: open(),
      });
      const done = await run(again, new Command({ resume: { action: "approve" } }), { thread: first.thread });
      expect(done.state.finalAnswer).toBe("deployed");
      expect(models.planner.callCount).toBe(0);
      expect(t.deploy.calls).toEqual([{ target: "site-4" }]);
      expect(t.search.calls).toEqual([{ q: "pop" }, { q: "area" }]);
      const tree = done.state.planSearch!;
      expect(tree.nodes.map((n) => n.id)).toEqual(treeBefore.nodes.map((n) => n.id));
      expect(nodeById(tree, "n1")).toEqual(nodeById(treeBefore, "n1"));
      expect(nodeById(tree, "n2")).toMatchObject({ status: "succeeded", visits: 1 });
      expect(nodeById(tree, "n0")).toMatchObject({ visits: 2, valueSum: 1.25 });
    },
  );

  it("plan approval shows every candidate with its scores; a person may pick another, bound to the stop", async () => {
    const t = tools();
    const { agent, models } = scriptedAgent(
      { planner: [candidates(PLAN_A, PLAN_B)], evaluator: [judge(0.9, 0.6)], synthesizer: ["ok"] },
      Object.values(t),
    );
    const first = await run(agent, { goal: "g" }, { context: { ...SEARCH(), approvePlan: "always" } });
    const request = (first.interrupts[0] as { value: Record<string, unknown> }).value as {
      stop: string;
      candidates: { node: string; chosen: boolean; value: number; judge: number }[];
    };
    expect(request.candidates.map((c) => [c.node, c.chosen, c.judge])).toEqual([
      ["n1", true, 0.9],
      ["n2", false, 0.6],
    ]);
    const stale = await run(
      agent,
      new Command({ resume: { stop: "elsewhere", action: "pick", candidate: "n2" } }),
      {
        thread: first.thread,
      },
    );
    expect((stale.interrupts[0] as { value: { errors: string[] } }).value.errors[0]).toMatch(
      /stale decision/,
    );
    const unknown = await run(
      agent,
      new Command({ resume: { stop: request.stop, action: "pick", candidate: "n9" } }),
      {
        thread: first.thread,
      },
    );
    expect((unknown.interrupts[0] as { value: { errors: string[] } }).value.errors[0]).toMatch(
      /no candidate "n9" \(candidates: n1, n2\)/,
    );
    const picked = await run(
      agent,
      new Command({ resume: { stop: request.stop, action: "pick", candidate: "n2" } }),
      {
        thread: first.thread,
      },
    );
    expect(picked.state.finalAnswer).toBe("ok");
    expect(picked.state.planReview).toEqual({ version: 2, decision: "picked" });
    expect(t.calc.calls).toEqual([{ e: "1000/250" }]);
    expect(picked.state.planSearch?.current).toBe("n2");
    expect(nodeById(picked.state.planSearch!, "n1")?.status).toBe("open");
    expect(models.planner.callCount).toBe(1);
  });
});
