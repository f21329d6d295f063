import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import { readThread } from "../../src/agent/threads.js";
import { run } from "../helpers/agent.js";
import { killLeaseChildren, startLineChild, type LeaseChild } from "../helpers/lease-child.js";
import { effectsOf, RACE_ANSWER, raceAgent, racePlan, type ResumeReport } from "../helpers/resume-race.js";

/**
 * Two resumes of one thread at the same moment, through the real graph on SQLite, in two
 * processes: each holds the thread's lease while it reads the thread and sends its decision, as
 * `plan-execute resume <thread> --stop <stop> --approve` does. The step they approve is a HIGH
 * tool with no idempotency of its own, so a double run would show as a second line.
 */
const dir = mkdtempSync(join(tmpdir(), "pe-resume-race-"));
const db = join(dir, "race.sqlite");
const effectsFile = join(dir, "effects.log");
writeFileSync(effectsFile, "");
const saver = SqliteSaver.fromConnString(db);
const { agent, planner } = raceAgent(effectsFile, saver);
let children: LeaseChild[] = [];
/** Trials per variant (even: half have one HIGH step, half two). */
const FAIL_FAST_TRIALS = 24;
const WAITING_TRIALS = 12;

beforeAll(async () => {
  // Tables first, so the children never race to create them.
  await saver.getTuple({ configurable: { thread_id: "none" } });
  children = [0, 1].map(() => startLineChild("resume-child", [db, effectsFile]));
  for (const child of children) expect(await child.nextLine(80_000)).toBe("ready");
}, 90_000);

afterAll(async () => {
  for (const child of children) child.proc.stdin.end();
  const codes = await Promise.all(children.map((c) => c.exited));
  killLeaseChildren();
  saver.db.close();
  rmSync(dir, { recursive: true, force: true });
  expect(codes).toEqual([0, 0]);
});

interface TrialOptions {
  /** How long the second resume waits for the lease: 0 fails at once (ThreadBusyError). */
  waitMs: number;
  /** One HIGH step (approving it finishes the run), or two (approving the first leads to a new stop). */
  highSteps: 1 | 2;
  lease?: boolean;
  /** How long the tool works before its effect. */
  delayMs?: number;
}

let threads = 0;
const tally = { trials: 0, doubleRuns: 0, outcomes: {} as Record<string, number> };

/** Starts a thread that stops at step_1's approval, then releases both children on it in one tick. */
async function trial(opts: TrialOptions) {
  const thread = `race-${++threads}`;
  planner.push(racePlan(thread, opts.highSteps));
  const first = await run(agent, { goal: `race ${thread}` }, { thread });
  const request = (first.interrupts[0] as { value: ApprovalRequest } | undefined)?.value;
  expect(request).toMatchObject({ type: "step_approval", steps: [{ stepId: "step_1" }] });
  const stop = request!.stop;
  const message = JSON.stringify({
    trial: thread,
    thread,
    stop,
    waitMs: opts.waitMs,
    lease: opts.lease ?? true,
    delayMs: opts.delayMs ?? 0,
  });
  for (const child of children) child.send(message); // the same tick: that is the race
  const lines = await Promise.all(children.map((child) => child.nextLine(20_000)));
  const reports = lines.map((line) => JSON.parse(line) as ResumeReport);
  const effects = effectsOf(readFileSync(effectsFile, "utf8"), thread);
  const view = await readThread(agent, thread);
  return { thread, stop, reports, effects, view };
}

/** What must hold after any leased trial: one effect, one decision applied, the rest accounted for. */
async function leasedTrial(opts: TrialOptions) {
  const t = await trial(opts);
  const { reports, effects, view, stop, thread } = t;
  for (const r of reports) expect(r.error, `${thread}: ${r.error}`).toBeUndefined();
  tally.trials += 1;
  if ((effects.get(`${thread} step_1`) ?? 0) > 1) tally.doubleRuns += 1;
  for (const r of reports) tally.outcomes[r.outcome] = (tally.outcomes[r.outcome] ?? 0) + 1;

  // The effect happened exactly once, and nothing the second decision could have set off happened.
  expect(Object.fromEntries(effects), thread).toEqual({ [`${thread} step_1`]: 1 });
  const outcomes = reports.map((r) => r.outcome).sort();
  expect(
    outcomes.filter((o) => o === "applied"),
    thread,
  ).toHaveLength(1);
  const other = outcomes.find((o) => o !== "applied");
  const allowed = opts.waitMs > 0 ? [] : ["refused"];
  allowed.push(opts.highSteps === 1 ? "not-waiting" : "stale");
  expect(allowed, `${thread}: ${outcomes.join(", ")}`).toContain(other);

  // One decision in the audit log: the applied one.
  expect(view.state.audit.map((e) => [e.stepId, e.decision])).toEqual([["step_1", "approved"]]);
  expect(view.state.steps.step_1?.status).toBe("succeeded");
  if (opts.highSteps === 1) {
    expect(view.status).toBe("finished");
    expect(view.state.finalAnswer).toBe(RACE_ANSWER);
  } else {
    // The run moved on to step_2's own stop; the old decision did not approve it.
    expect(view.status).toBe("waiting");
    expect(view.pending[0]?.stop).not.toBe(stop);
    expect(view.state.steps.step_2).toMatchObject({ status: "pending", approval: { status: "waiting" } });
  }
  const stale = reports.find((r) => r.outcome === "stale");
  if (stale) {
    // The graph itself refused the decision for the old stop, and said why.
    expect(stale.after?.stop).toBe(view.pending[0]?.stop);
    expect(stale.after?.errors.join(" ")).toMatch(/^stale decision: it answers stop [0-9a-f]{16}, but/);
    expect(view.pending[0]?.errors.join(" ")).toMatch(/^stale decision/);
  }
  return t;
}

describe("two resumes of one thread at the same moment, in two processes (SQLite)", () => {
  it("fail fast (waitMs 0): one applies, the other is refused as busy or finds the stop gone; one effect", async () => {
    const started = Date.now();
    const results: string[][] = [];
    for (let n = 0; n < FAIL_FAST_TRIALS; n++) {
      const t = await leasedTrial({ waitMs: 0, highSteps: n % 2 === 0 ? 1 : 2, delayMs: 20 });
      results.push(t.reports.map((r) => r.outcome).sort());
    }
    const refused = results.filter((pair) => pair.includes("refused")).length;
    // The two really met at the lease, most of the time: this is a race, not two resumes in turn.
    expect(refused).toBeGreaterThanOrEqual(FAIL_FAST_TRIALS / 2);
    console.log(
      `concurrent resume, fail fast: ${FAIL_FAST_TRIALS} trials, ${refused} refused one resume as busy, ${FAIL_FAST_TRIALS - refused} found the stop gone; ${Date.now() - started} ms`,
    );
  });

  it("with waitMs: the second waits, then finds nothing waiting or refuses its now-stale decision; one effect", async () => {
    const started = Date.now();
    const results: string[][] = [];
    for (let n = 0; n < WAITING_TRIALS; n++) {
      const t = await leasedTrial({ waitMs: 10_000, highSteps: n % 2 === 0 ? 1 : 2, delayMs: 20 });
      results.push(t.reports.map((r) => r.outcome).sort());
    }
    expect(results.filter((p) => p.includes("not-waiting"))).toHaveLength(WAITING_TRIALS / 2);
    expect(results.filter((p) => p.includes("stale"))).toHaveLength(WAITING_TRIALS / 2);
    console.log(
      `concurrent resume, waiting: ${WAITING_TRIALS} trials, ${WAITING_TRIALS / 2} found nothing waiting, ${WAITING_TRIALS / 2} had their stale decision refused by the graph; ${Date.now() - started} ms`,
    );
  });

  it("control: without the lease, the same race runs the HIGH step twice", async () => {
    // What the lease is for: two resumes that both read the stop before either saves its decision.
    let doubled = 0;
    for (let n = 0; n < 3; n++) {
      const t = await trial({ waitMs: 0, highSteps: 1, lease: false, delayMs: 300 });
      if ((t.effects.get(`${t.thread} step_1`) ?? 0) > 1) doubled += 1;
    }
    expect(doubled).toBeGreaterThanOrEqual(1);
    console.log(
      `concurrent resume: ${tally.trials} leased trials, ${tally.doubleRuns} double runs (outcomes ${JSON.stringify(tally.outcomes)}); without the lease ${doubled}/3 trials ran the step twice`,
    );
  });
});
