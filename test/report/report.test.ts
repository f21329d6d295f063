import { Command } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildRunReport, renderReportHtml, renderTimelineSvg } from "../../src/report/index.js";
import { createScenarioAgent } from "../../src/demo/agent.js";
import { ratioScenario } from "../../src/demo/ratio.js";
import { recoverScenario } from "../../src/demo/recover.js";
import { searchScenario } from "../../src/demo/search.js";
import { ThreadNotFoundError } from "../../src/agent/threads.js";
import { TransientToolError } from "../../src/tools/types.js";
import { plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";
import { fakeThread, record, step } from "./fake-thread.js";
import { llmTool } from "../../src/tools/llm.js";

const lookup = () => fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => `value of ${a.key}`);
const deploy = () =>
  fakeTool("deploy", z.object({ target: z.string() }).strict(), (a) => `deployed ${a.target}`, "HIGH");
const count = (text: string, needle: string | RegExp) =>
  typeof needle === "string" ? text.split(needle).length - 1 : (text.match(needle) ?? []).length;
/** Elements of the page with an attribute value, e.g. bars of one step. */
const bars = (html: string, stepId: string, kind: string) =>
  count(html, new RegExp(`data-kind="${kind}" data-step="${stepId}"`, "g"));

describe("buildRunReport", () => {
  it("shows a plan search's tree: the failed first choice, the sibling that ran, their values", async () => {
    const agent = createScenarioAgent(searchScenario, { latency: false });
    const { thread } = await run(agent, { goal: searchScenario.goal }, { context: searchScenario.context });
    const report = await buildRunReport(agent, thread);
    expect(report.search?.selection).toBe("uct");
    const nodes = report.search!.nodes.filter((n) => n.kind !== "root");
    expect(nodes.map((n) => [n.id, n.kind, n.status, n.current])).toEqual([
      ["n1", "candidate", "failed", false],
      ["n2", "candidate", "succeeded", true],
    ]);
    expect(nodes[0]).toMatchObject({ judge: 0.85, tools: ["search", "calculator"], visits: 1 });
    expect(nodes[1]).toMatchObject({ judge: 0.7, tools: ["search", "search", "calculator"], value: 1 });
    const html = renderReportHtml(report);
    expect(html).toContain('<section id="search">');
    expect(html).toContain('data-search-node="n1" data-status="failed"');
    expect(html).toContain('data-search-node="n2" data-status="succeeded"');
    // Without a search there is no such section.
    const plain = createScenarioAgent(ratioScenario, { latency: false });
    const other = await run(plain, { goal: ratioScenario.goal }, { context: ratioScenario.context });
    const none = await buildRunReport(plain, other.thread);
    expect(none.search).toBeNull();
    expect(renderReportHtml(none)).not.toContain('id="search"');
  });

  it("draws the waits inside steps: a low-confidence output under review, a sub-agent's call waiting for approval", async () => {
    const d = deploy();
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "w", tool: "llm", args: { prompt: "write it" } },
            { id: "s", tool: "llm", args: { prompt: "ship it", tools: ["deploy"] }, depends_on: ["w"] },
          ),
        ],
        executor: [
          "a shaky draft\nCONFIDENCE: 0.3",
          { toolCalls: [{ name: "deploy", args: { target: "prod" } }] },
          "shipped\nCONFIDENCE: 0.9",
        ],
        synthesizer: ["done"],
      },
      [llmTool, d],
    );
    const context = { minConfidence: 0.7, maxAnswerRevisions: 0 };
    const first = await run(agent, { goal: "g" }, { context });
    expect((first.interrupts[0] as { value: { type: string } }).value.type).toBe("low_confidence");
    const second = await run(agent, new Command({ resume: { action: "approve" } }), { thread: first.thread });
    expect((second.interrupts[0] as { value: { type: string } }).value.type).toBe("step_approval");
    const open = await buildRunReport(agent, first.thread);
    expect(open.waits.find((w) => w.kind === "step_approval")).toMatchObject({
      stepId: "s",
      to: null,
      label: "tool call 1 of this step's sub-agent: waiting for approval",
    });
    const third = await run(agent, new Command({ resume: { action: "approve" } }), { thread: first.thread });
    expect(third.interrupts).toEqual([]);
    expect(third.state.finalAnswer).toBe("done");
    expect(d.calls).toHaveLength(1);

    const report = await buildRunReport(agent, first.thread);
    const review = report.waits.find((w) => w.kind === "low_confidence");
    expect(review).toMatchObject({ stepId: "w", outcome: "approved" });
    expect(review?.label).toBe("waited for review (confidence 0.30) (approved)");
    expect(review!.to).toBeGreaterThanOrEqual(review!.from);
    const call = report.waits.find((w) => w.kind === "step_approval");
    expect(call).toMatchObject({ stepId: "s", outcome: "approved" });
    expect(call!.to).not.toBeNull();
    const html = renderReportHtml(report);
    expect(bars(html, "w", "wait")).toBe(1);
    expect(bars(html, "s", "wait")).toBe(1);
  });

  it("refuses an unknown thread with a clear error", async () => {
    const { agent } = scriptedAgent({}, [lookup()]);
    const failure = buildRunReport(agent, "no-such-thread");
    await expect(failure).rejects.toBeInstanceOf(ThreadNotFoundError);
    await expect(failure).rejects.toThrow('no thread "no-such-thread"');
  });

  it("reports a run whose planner never produced a valid plan, and says so", async () => {
    const bad = plan({ id: "a", tool: "lookup", args: { key: 1 } });
    const { agent } = scriptedAgent({ planner: [bad, bad] }, [lookup()]);
    const { thread } = await run(agent, { goal: "g" }, { context: { maxPlanAttempts: 2 } });
    const report = await buildRunReport(agent, thread);
    expect(report.status).toBe("failed");
    expect(report.planVersions).toEqual([]);
    expect(report.steps).toEqual([]);
    expect(report.noPlan).toMatch(/^No plan: .*did not produce a valid plan in 2 attempts/);
    expect(report.validationErrors.join()).toMatch(/args for "lookup" are invalid/);
    const html = renderReportHtml(report);
    expect(html).toContain("data-no-plan");
    expect(html).toMatch(/No plan: [^<]*did not produce a valid plan in 2 attempts/);
    expect(html).toContain("The last proposal was refused");
    // The planner's time still shows on the run row; the SVG has no step rows.
    expect(html).toContain('data-kind="phase"');
    expect(renderTimelineSvg(report)).toContain("0 steps");
  });

  it("shows the steps, the critic's verdicts, the answer's citations and tokens per role and step", async () => {
    const agent = createScenarioAgent(ratioScenario, { latency: false });
    const { thread, state } = await run(
      agent,
      { goal: ratioScenario.goal },
      { context: ratioScenario.context },
    );
    expect(state.finalAnswer).toContain("[step_4]");
    const report = await buildRunReport(agent, thread);
    expect(report.status).toBe("finished");
    expect(report.steps.map((s) => [s.id, s.status, s.depth])).toEqual([
      ["step_1", "succeeded", 0],
      ["step_2", "succeeded", 0],
      ["step_3", "succeeded", 1],
      ["step_4", "succeeded", 2],
    ]);
    expect(report.answer.citations).toEqual(["step_1", "step_2", "step_3", "step_4"]);
    expect(report.steps.every((s) => s.cited)).toBe(true);
    expect(report.markers).toContainEqual(
      expect.objectContaining({ kind: "critic", stepId: "step_3", ok: true, label: "critic: pass" }),
    );
    expect(report.usage.roles.map((r) => r.role)).toEqual([
      "planner",
      "executor",
      "evaluator",
      "synthesizer",
    ]);
    expect(report.steps.find((s) => s.id === "step_3")?.usage).toMatchObject({ calls: 1 });
    expect(report.steps.find((s) => s.id === "step_1")?.usage).toBeNull();
    expect(report.phases.map((p) => p.node)).toEqual(
      expect.arrayContaining(["planner", "executor", "evaluator", "synthesizer"]),
    );
    expect(JSON.parse(JSON.stringify(report))).toEqual(report); // plain data

    const html = renderReportHtml(report);
    const anchor = (id: string) => `s-${report.steps.findIndex((s) => s.id === id) + 1}`;
    // Each citation links to its step's details.
    expect(html).toContain(
      `<span class="cite">[<a href="#${anchor("step_4")}" data-step="step_4">step_4</a>]</span>`,
    );
    expect(html).toContain(`<details class="step st-succeeded" id="${anchor("step_4")}"`);
    expect(count(html, /class="mk mk-critic good"/g)).toBe(1);
    // One graph node per step, coloured by status, with edges for the three dependencies.
    expect(count(html, /<g class="node st-succeeded"/g)).toBe(4);
    expect(count(html, /<path class="edge/g)).toBe(3);
    // No network: no external URL in the page, a CSP that forbids fetching anything.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain("default-src 'none'");
  });

  it("recovers earlier plan versions from the history: replanned steps and their successors", async () => {
    const agent = createScenarioAgent(recoverScenario, { latency: false });
    const { thread } = await run(agent, { goal: recoverScenario.goal });
    const report = await buildRunReport(agent, thread);
    expect(report.planVersions.map((v) => [v.version, v.cause, v.steps])).toEqual([
      [1, "initial", ["step_1", "step_2"]],
      [2, "replan", ["step_1", "step_3", "step_4"]],
    ]);
    expect(report.planVersions[1]).toMatchObject({
      replan: 1,
      failed: ["step_2"],
      kept: ["step_1"],
      added: ["step_3", "step_4"],
      dropped: ["step_2"],
    });
    const step2 = report.steps.find((s) => s.id === "step_2");
    expect(step2).toMatchObject({ status: "failed", versions: [1], droppedIn: 2 });
    expect(report.steps.find((s) => s.id === "step_1")?.versions).toEqual([1, 2]);
    expect(report.markers).toContainEqual(
      expect.objectContaining({ kind: "replan", label: "replan #1 → plan v2" }),
    );
    const html = renderReportHtml(report);
    // One tab per version, the latest checked; the replan is a guide line across the timeline.
    expect(html).toContain('id="pv-1" class="tab-input">');
    expect(html).toContain('id="pv-2" class="tab-input" checked>');
    expect(count(html, /<div class="panel pv-\d">/g)).toBe(2);
    expect(html).toContain('class="guide g-replan"');
    expect(html).toMatch(/<text class="badge-t"[^>]*>gone in v2<\/text>/);
    expect(count(html, /<text class="badge-t"[^>]*>new<\/text>/g)).toBe(2);
    expect(renderTimelineSvg(report)).toContain("replan #1 → plan v2");
  });

  it("shows a paused run's open wait, then the person's decision and the time waited", async () => {
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "lookup", args: { key: "x" } },
            { id: "d", tool: "deploy", args: { target: "prod" }, depends_on: ["a"] },
          ),
        ],
        synthesizer: ["deployed [d] after [a]"],
      },
      [lookup(), deploy()],
    );
    const first = await run(agent, { goal: "g" });
    const paused = await buildRunReport(agent, first.thread);
    expect(paused.status).toBe("waiting");
    expect(paused.pending).toEqual([
      { type: "step_approval", summary: "d (deploy, HIGH) wait for approval" },
    ]);
    expect(paused.steps.find((s) => s.id === "d")?.status).toBe("waiting");
    expect(paused.waits).toEqual([expect.objectContaining({ kind: "step_approval", stepId: "d", to: null })]);
    const pausedHtml = renderReportHtml(paused);
    expect(pausedHtml).toContain('class="bar wait open" data-kind="wait" data-step="d"');
    expect(pausedHtml).toContain(`plan-execute resume ${first.thread}`);

    await new Promise((r) => setTimeout(r, 120));
    await run(agent, new Command({ resume: { action: "approve" } }), { thread: first.thread });
    const report = await buildRunReport(agent, first.thread);
    const d = report.steps.find((s) => s.id === "d");
    expect(d?.approval).toMatchObject({ status: "approved", risk: "HIGH" });
    const wait = report.waits.find((w) => w.stepId === "d");
    expect(wait).toMatchObject({ kind: "step_approval", outcome: "approved" });
    expect((wait?.to ?? 0) - (wait?.from ?? 0)).toBeGreaterThanOrEqual(100);
    expect(wait?.to).toBe(d?.approval?.decidedAt);
    // The step ran after the wait: work and waiting are apart.
    expect(d?.attemptLog[0]?.startedAt).toBeGreaterThanOrEqual(wait?.to ?? Infinity);
    expect(report.markers).toContainEqual(
      expect.objectContaining({ kind: "approval", stepId: "d", ok: true }),
    );
    expect(report.audit).toEqual([expect.objectContaining({ stepId: "d", decision: "approved" })]);
    const html = renderReportHtml(report);
    expect(bars(html, "d", "wait")).toBe(1);
    expect(bars(html, "d", "attempt")).toBe(1);
    expect(html).toContain('class="bar wait done"');
  });

  it("marks a budget stop and what the person decided", async () => {
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "lookup", args: { key: "x" } },
            { id: "b", tool: "lookup", args: { key: "y" } },
            { id: "c", tool: "lookup", args: { key: "z" }, depends_on: ["a"] },
          ),
        ],
        synthesizer: ["answer"],
      },
      [lookup()],
    );
    const first = await run(agent, { goal: "g" }, { context: { maxStepsExecuted: 2, maxConcurrency: 1 } });
    await run(agent, new Command({ resume: { action: "raise", limits: { maxStepsExecuted: 5 } } }), {
      thread: first.thread,
    });
    const report = await buildRunReport(agent, first.thread);
    expect(report.waits).toContainEqual(
      expect.objectContaining({
        kind: "budget",
        outcome: "raised maxStepsExecuted=5",
        label: "budget reached: maxStepsExecuted 2/2",
      }),
    );
    expect(report.markers).toContainEqual(expect.objectContaining({ kind: "budget", label: "budget stop" }));
    const html = renderReportHtml(report);
    expect(html).toContain('class="guide g-budget"');
    expect(renderTimelineSvg(report)).toContain("budget stop");
  });

  it("reports the thread's latest run only", async () => {
    const { agent } = scriptedAgent(
      {
        planner: [
          plan({ id: "old", tool: "lookup", args: { key: "x" } }),
          plan({ id: "new", tool: "lookup", args: { key: "y" } }),
        ],
        synthesizer: ["first", "second [new]"],
      },
      [lookup()],
    );
    await run(agent, { goal: "first goal" }, { thread: "twice" });
    await run(agent, { goal: "second goal" }, { thread: "twice" });
    const report = await buildRunReport(agent, "twice");
    expect(report.goal).toBe("second goal");
    expect(report.steps.map((s) => s.id)).toEqual(["new"]);
    expect(report.answer).toEqual({ text: "second [new]", citations: ["new"] });
  });

  it("draws one bar per attempt, and a whole-step bar for threads written before attempts were timed", async () => {
    let calls = 0;
    const flaky = fakeTool("flaky", z.object({}).strict(), () => {
      calls += 1;
      if (calls < 3) throw new TransientToolError("busy");
      return "ok";
    });
    const { agent } = scriptedAgent({ planner: [plan({ id: "s", tool: "flaky" })], synthesizer: ["ok"] }, [
      flaky,
    ]);
    const { thread } = await run(agent, { goal: "g" }, { context: { retryBaseDelayMs: 5 } });
    const html = renderReportHtml(await buildRunReport(agent, thread));
    expect(bars(html, "s", "attempt")).toBe(3);
    expect(count(html, /class="bar attempt retried"/g)).toBe(2);
    expect(count(html, /class="bar attempt ok"/g)).toBe(1);

    const old = fakeThread("old", [
      { at: 1_000, state: { plan: [step("x")], planVersion: 1 }, next: ["executor"] },
      {
        at: 3_000,
        state: {
          plan: [step("x")],
          planVersion: 1,
          steps: { x: record("x", { attempts: 2, startedAt: 1_100, finishedAt: 2_900 }) },
          finalAnswer: "done",
        },
      },
    ]);
    const report = await buildRunReport(old, "old");
    expect(report.steps[0]?.attemptLog).toEqual([
      { attempt: 2, startedAt: 1_100, finishedAt: 2_900, error: null, approximate: true },
    ]);
    const oldHtml = renderReportHtml(report);
    expect(bars(oldHtml, "x", "attempt")).toBe(1);
    expect(oldHtml).toContain("2 attempts (no per-attempt timing in this thread)");
    await expect(buildRunReport(old, "other")).rejects.toThrow('no thread "other"');
  });
});

describe("escaping", () => {
  it("escapes every text of the run: steps, args, outputs, errors, goal and answer", async () => {
    const xss = "<script>alert(1)</script>";
    const attr = '"><img onerror=alert(2) src=x>';
    const echo = fakeTool("echo", z.object({ text: z.string() }).strict(), (a) => `${a.text} </script><b>`);
    const boom = fakeTool("boom", z.object({}).strict(), () => {
      throw new Error(`bad ${xss}`);
    });
    const { agent } = scriptedAgent(
      {
        planner: [
          {
            structured: {
              steps: [
                {
                  id: "a",
                  description: `Say ${xss}`,
                  tool: "echo",
                  args: JSON.stringify({ text: attr }),
                  depends_on: [],
                  expected_output: `${attr}`,
                },
                {
                  id: "b",
                  description: attr,
                  tool: "boom",
                  args: "{}",
                  depends_on: [],
                  expected_output: xss,
                },
              ],
            },
          },
        ],
        synthesizer: [`Done ${xss} [a] and ${attr} & [b]`],
      },
      [echo, boom],
    );
    const { thread } = await run(agent, { goal: `Goal ${xss} ${attr}` }, { context: { maxReplans: 0 } });
    const report = await buildRunReport(agent, thread);
    expect(report.steps.map((s) => s.status)).toEqual(["succeeded", "failed"]);
    for (const text of [renderReportHtml(report), renderTimelineSvg(report)]) {
      expect(text).not.toContain("<script>alert");
      expect(text).not.toContain("<img");
      expect(text).not.toContain("</script><b>");
      expect(text).not.toMatch(/<[^>]*\bonerror=/); // an attribute of a real tag
      expect(text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
    const html = renderReportHtml(report);
    expect(count(html, "<script")).toBe(1); // the page's own
    expect(html).toContain("&quot;&gt;&lt;img onerror=alert(2) src=x&gt;");
    // The citations still link inside the escaped answer.
    expect(html).toMatch(/Done &lt;script&gt;alert\(1\)&lt;\/script&gt; <span class="cite">\[<a href="#s-1"/);
    expect(html).toContain('&amp; <span class="cite">[<a href="#s-2"');
  });
});

describe("a 200-step plan", () => {
  /** 20 layers of 10 steps; each step depends on one or two of the layer before; some retried, one waited. */
  const big = () => {
    const t0 = 1_700_000_000_000;
    const steps = Array.from({ length: 200 }, (_, i) => {
      const layer = Math.floor(i / 10);
      const deps =
        layer === 0 ? [] : [`s${i - 10}`, ...(i % 3 === 0 ? [`s${i - 10 + ((i + 1) % 10) - (i % 10)}`] : [])];
      return step(`s${i}`, [...new Set(deps)]);
    });
    const records = Object.fromEntries(
      steps.map((s, i) => {
        const start = t0 + 100 + Math.floor(i / 10) * 400 + (i % 10) * 20;
        const retried = i % 17 === 0;
        const attemptLog = retried
          ? [
              { attempt: 1, startedAt: start, finishedAt: start + 100, error: "TransientToolError: busy" },
              { attempt: 2, startedAt: start + 180, finishedAt: start + 350, error: null },
            ]
          : [{ attempt: 1, startedAt: start, finishedAt: start + 300, error: null }];
        return [
          s.id,
          record(s.id, {
            attempts: attemptLog.length,
            startedAt: start,
            finishedAt: (attemptLog.at(-1)?.finishedAt ?? 0) + 1,
            attemptLog,
          }),
        ];
      }),
    );
    return fakeThread("big", [
      { at: t0, state: { goal: "big plan" }, next: ["planner"] },
      { at: t0 + 90, state: { goal: "big plan", plan: steps, planVersion: 1 }, next: ["executor"] },
      {
        at: t0 + 8_500,
        state: {
          goal: "big plan",
          plan: steps,
          planVersion: 1,
          steps: records,
          finalAnswer: "all done [s0] [s199]",
        },
      },
    ]);
  };

  it("stays legible: capped timeline rows with show-all, scroll boxes, a wrapped graph", async () => {
    const graph = big();
    const started = performance.now();
    const report = await buildRunReport(graph, "big");
    const built = performance.now();
    const html = renderReportHtml(report);
    const rendered = performance.now();
    const svg = renderTimelineSvg(report);
    console.log(
      `200-step report: build ${(built - started).toFixed(0)} ms, HTML ${(rendered - built).toFixed(0)} ms / ${(html.length / 1024).toFixed(0)} KiB, SVG ${(performance.now() - rendered).toFixed(0)} ms / ${(svg.length / 1024).toFixed(0)} KiB`,
    );
    expect(report.steps).toHaveLength(200);
    expect(Math.max(...report.steps.map((s) => s.depth))).toBe(19);
    // Timeline: 40 rows shown, 160 behind "show all", inside a scroll box.
    expect(html).toContain('<div class="gantt capped" data-rows="200" data-cap="40">');
    expect(count(html, /<div class="row st-[a-z]+" data-step=/g)).toBe(40);
    expect(count(html, /<div class="row st-[a-z]+ extra" data-step=/g)).toBe(160);
    expect(html).toContain('<input type="checkbox" id="gantt-all" class="show-all">');
    expect(html).toContain("Show all 200 steps (160 hidden)");
    expect(html).toMatch(/\.gantt\{[^}]*max-height:72vh;overflow:auto/);
    // Every attempt is still there (hidden rows included): 200 + the 12 retried steps' second attempts.
    expect(count(html, /data-kind="attempt"/g)).toBe(212);
    // The steps list and the plan graph scroll instead of growing without end.
    expect(html).toContain('<div class="steps-list scroll">');
    expect(html).toContain('<div class="dag-wrap scroll">');
    const dag = /<svg class="dag"[^>]* width="(\d+)" height="(\d+)"/.exec(html);
    expect(Number(dag?.[2])).toBeLessThan(800); // 10 per column: no 200-node tower
    expect(Number(dag?.[1])).toBeGreaterThan(20 * 176);
    // The SVG for an issue: 40 rows and a line for the rest.
    expect(count(svg, /<circle /g)).toBe(41);
    expect(svg).toContain("… 160 more steps (see the HTML report)");
    expect(html.length).toBeLessThan(1_500_000);
    expect(rendered - started).toBeLessThan(3_000);
  });

  it("cuts a long idle gap out of the axis instead of squashing the work", async () => {
    const t0 = 1_700_000_000_000;
    const graph = fakeThread("gap", [
      { at: t0, state: {}, next: ["planner"] },
      { at: t0 + 50, state: { plan: [step("a"), step("b", ["a"])], planVersion: 1 }, next: ["executor"] },
      {
        at: t0 + 3 * 3_600_000,
        state: {
          plan: [step("a"), step("b", ["a"])],
          planVersion: 1,
          steps: {
            a: record("a", {
              startedAt: t0 + 60,
              finishedAt: t0 + 1_060,
              attemptLog: [{ attempt: 1, startedAt: t0 + 60, finishedAt: t0 + 1_060, error: null }],
            }),
            b: record("b", {
              startedAt: t0 + 3 * 3_600_000 - 900,
              finishedAt: t0 + 3 * 3_600_000 - 100,
              attemptLog: [
                {
                  attempt: 1,
                  startedAt: t0 + 3 * 3_600_000 - 900,
                  finishedAt: t0 + 3 * 3_600_000 - 100,
                  error: null,
                },
              ],
            }),
          },
          finalAnswer: "ok",
        },
      },
    ]);
    const html = renderReportHtml(await buildRunReport(graph, "gap"));
    expect(html).toContain("⋯ 3 h 00 m ⋯");
    const width = (id: string) =>
      Number(
        new RegExp(`data-step="${id}" data-attempt="1" style="left:[\\d.]+%;width:([\\d.]+)%`).exec(
          html,
        )?.[1],
      );
    // Without the cut a 1-second bar would be 0.01% of a 3-hour axis.
    expect(width("a")).toBeGreaterThan(20);
    expect(width("b")).toBeGreaterThan(15);
  });
});
