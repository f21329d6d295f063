import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import type { ScriptedReply } from "../../src/testing/scripted.js";
import { forkThread, readThread, threadHistory } from "../../src/agent/threads.js";
import { llmTool } from "../../src/tools/llm.js";
import { plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool, sleep } from "../helpers/tools.js";

/** A HIGH tool with no idempotency of its own: every call is an effect. */
const mailer = () =>
  fakeTool("mail", z.object({ to: z.string(), body: z.string() }).strict(), (a) => `sent to ${a.to}`, "HIGH");
const lookup = () => fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => `value of ${a.key}`);

const requestOf = (interrupts: unknown[]) => (interrupts[0] as { value: ApprovalRequest }).value;
const resume = (value: unknown) => new Command({ resume: value });

const mailPlan = (to: string, body = "hello"): ScriptedReply =>
  plan(
    { id: "step_1", tool: "lookup", args: { key: "x" } },
    { id: "step_5", tool: "mail", args: { to, body: `${body} {{step_1.output}}` }, depends_on: ["step_1"] },
  );

describe("a new goal on a thread that ran before", () => {
  it("starts a clean run: the old approval of step_5 does not run the new plan's step_5", async () => {
    const mail = mailer();
    const { agent } = scriptedAgent(
      {
        planner: [mailPlan("old@example.com"), mailPlan("other@example.com", "new")],
        synthesizer: ["a1", "a2"],
      },
      [lookup(), mail],
    );
    const first = await run(agent, { goal: "Email old" }, { thread: "R" });
    expect(requestOf(first.interrupts).type).toBe("step_approval");
    const approved = await run(agent, resume({ action: "approve" }), { thread: "R" });
    expect(approved.state.finalAnswer).toBe("a1");
    expect(mail.calls).toEqual([{ to: "old@example.com", body: "hello value of x" }]);

    const second = await run(agent, { goal: "Email other@example.com" }, { thread: "R" });
    // It stops for a fresh decision about the new args; nothing was sent.
    const request = requestOf(second.interrupts);
    expect(request).toMatchObject({
      type: "step_approval",
      steps: [{ stepId: "step_5", args: { to: "other@example.com", body: "new value of x" } }],
    });
    expect(mail.calls).toHaveLength(1);
    // Nothing of the old run leaks into the new one.
    expect(second.state.goal).toBe("Email other@example.com");
    expect(second.state.finalAnswer).toBeNull();
    expect(second.state.audit).toEqual([]);
    expect(second.state.runId).not.toBe(approved.state.runId);
    expect(second.state.usage.synthesizer).toBeUndefined();
    const done = await run(agent, resume({ action: "approve", stop: request.stop }), { thread: "R" });
    expect(done.state.finalAnswer).toBe("a2");
    expect(mail.calls.map((c) => c.to)).toEqual(["old@example.com", "other@example.com"]);
    expect(done.state.audit.map((e) => [e.stepId, e.decision, e.args.to])).toEqual([
      ["step_5", "approved", "other@example.com"],
    ]);
  });

  it("does not carry the old run's settings: autoApprove HIGH of the first run does not apply to the next", async () => {
    const mail = mailer();
    const { agent } = scriptedAgent(
      { planner: [mailPlan("a@example.com"), mailPlan("b@example.com")], synthesizer: ["a1", "a2"] },
      [lookup(), mail],
    );
    const first = await run(agent, { goal: "g1", runSettings: { autoApprove: "HIGH" } } as never, {
      thread: "S",
    });
    expect(first.state.finalAnswer).toBe("a1");
    expect(mail.calls).toHaveLength(1);
    const second = await run(agent, { goal: "g2" }, { thread: "S" });
    expect(requestOf(second.interrupts).type).toBe("step_approval");
    expect(mail.calls).toHaveLength(1);
  });
});

describe("decisions bound to the stop they answer", () => {
  it("refuses a decision that names another stop, and applies one that names this stop", async () => {
    const mail = mailer();
    const { agent } = scriptedAgent({ planner: [mailPlan("a@example.com")], synthesizer: ["ok"] }, [
      lookup(),
      mail,
    ]);
    const first = await run(agent, { goal: "g" });
    const stop = requestOf(first.interrupts).stop;
    expect(stop).toMatch(/^[0-9a-f]{16}$/);
    const stale = await run(agent, resume({ action: "approve", stop: "0123456789abcdef" }), {
      thread: first.thread,
    });
    const again = requestOf(stale.interrupts);
    expect(again.errors.join(" ")).toMatch(/stale decision: it answers stop 0123456789abcdef/);
    expect(again.stop).toBe(stop);
    expect(mail.calls).toHaveLength(0);
    const ok = await run(agent, resume({ action: "approve", stop }), { thread: first.thread });
    expect(ok.state.finalAnswer).toBe("ok");
    expect(mail.calls).toHaveLength(1);
  });

  it("asks again when the args a person approved no longer resolve the same way", async () => {
    const mail = mailer();
    const { agent } = scriptedAgent({ planner: [mailPlan("a@example.com")], synthesizer: ["ok"] }, [
      lookup(),
      mail,
    ]);
    const first = await run(agent, { goal: "g" });
    // Stop before the executor acts on the approval, then change what step_5's args resolve to.
    const config = { configurable: { thread_id: first.thread } };
    await agent.updateState(config, {}, "approve_steps");
    const decided = await agent.invoke(resume({ action: "approve" }) as never, {
      ...config,
      interruptBefore: ["executor"],
    });
    expect(decided.steps.step_5?.approval?.status).toBe("approved");
    const step1 = decided.steps.step_1!;
    await agent.updateState(
      config,
      { steps: { step_1: { ...step1, output: "a changed value" } } },
      "evaluator",
    );
    const after = await run(agent, null, { thread: first.thread });
    expect(mail.calls).toHaveLength(0);
    expect(requestOf(after.interrupts)).toMatchObject({
      type: "step_approval",
      steps: [{ stepId: "step_5", args: { body: "hello a changed value" } }],
    });
  });
});

describe("forks", () => {
  const setup = () => {
    const mail = mailer();
    const look = lookup();
    const saver = new MemorySaver();
    const { agent } = scriptedAgent(
      // The replanner speaks with the planner's model: after the fork's rejection it gives up.
      {
        planner: [mailPlan("a@example.com"), { structured: { steps: [] } }],
        synthesizer: ["sent", "fork answer"],
      },
      [look, mail],
      saver,
    );
    return { agent, mail, look };
  };

  it("honours the fork's own decision: approve in the source, reject in the fork — nothing sent by the fork", async () => {
    const { agent, mail, look } = setup();
    const first = await run(agent, { goal: "g" }, { thread: "T" });
    const atStop = await readThread(agent, "T");
    expect(atStop.status).toBe("waiting");
    await run(agent, resume({ action: "approve" }), { thread: "T" });
    expect(mail.calls).toHaveLength(1);

    const fork = await forkThread(agent, {
      threadId: "T",
      checkpointId: atStop.checkpointId!,
      newThreadId: "F",
    });
    expect(fork.status).toBe("waiting");
    expect(fork.state.forkedFrom).toEqual({ threadId: "T", checkpointId: atStop.checkpointId });
    expect(fork.pending[0]?.stop).not.toBe(requestOf(first.interrupts).stop);
    const rejected = await run(agent, resume({ action: "reject", reason: "not today" }), { thread: "F" });
    expect(mail.calls).toHaveLength(1); // only the source's
    expect(look.calls).toHaveLength(1); // step_1 finished before the fork point: not run again
    expect(rejected.state.steps.step_5?.status).toBe("rejected");
    expect(rejected.state.audit.map((e) => [e.stepId, e.decision, e.reason])).toEqual([
      ["step_5", "rejected", "not today"],
    ]);
    // The source is untouched.
    const source = await readThread(agent, "T");
    expect(source.state.audit.map((e) => e.decision)).toEqual(["approved"]);
    const history = await threadHistory(agent, "F");
    expect(history.forkedFrom).toEqual({ threadId: "T", checkpointId: atStop.checkpointId });
  });

  it("reopens a decision made but not yet acted on at the fork point", async () => {
    const { agent, mail } = setup();
    await run(agent, { goal: "g" }, { thread: "T2" });
    const config = { configurable: { thread_id: "T2" } };
    await agent.invoke(resume({ action: "approve" }) as never, { ...config, interruptBefore: ["executor"] });
    const approvedNotRun = await readThread(agent, "T2");
    expect(approvedNotRun.state.steps.step_5?.approval?.status).toBe("approved");
    const fork = await forkThread(agent, {
      threadId: "T2",
      checkpointId: approvedNotRun.checkpointId!,
      newThreadId: "F2",
    });
    expect(fork.state.steps.step_5?.approval?.status).toBe("waiting");
    const resumed = await run(agent, null, { thread: "F2" });
    expect(mail.calls).toHaveLength(0);
    expect(requestOf(resumed.interrupts).type).toBe("step_approval");
  });

  it("forked mid-run, runs the steps that had not finished, once each, and none that had", async () => {
    const slow = fakeTool("slow", z.object({ n: z.number() }).strict(), async (a) => {
      await sleep(5);
      return a.n * 10;
    });
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "slow", args: { n: 1 } },
            { id: "b", tool: "slow", args: { n: 2 }, depends_on: ["a"] },
            { id: "c", tool: "slow", args: { n: 3 }, depends_on: ["b"] },
          ),
        ],
        synthesizer: ["source done", "fork done"],
      },
      [slow],
    );
    // One step per budget: the first pass runs a only, and the run stops at the budget stop.
    const first = await run(agent, { goal: "g" }, { thread: "M", context: { maxStepsExecuted: 1 } });
    expect(requestOf(first.interrupts).type).toBe("budget");
    const raise = resume({ action: "raise", limits: { maxStepsExecuted: 10 } });
    expect((await run(agent, raise, { thread: "M" })).state.finalAnswer).toBe("source done");
    expect(slow.calls.map((c) => c.n)).toEqual([1, 2, 3]);
    // The checkpoint right after the first executor pass: a finished, b and c not yet.
    const { entries } = await threadHistory(agent, "M");
    const mid = entries.filter((e) => e.next.join() === "evaluator").at(-1)!;
    const fork = await forkThread(agent, {
      threadId: "M",
      checkpointId: mid.checkpointId,
      newThreadId: "MF",
    });
    expect(fork.status).toBe("interrupted");
    expect(fork.next).toEqual(["evaluator"]);
    expect(Object.values(fork.state.steps).map((r) => r.status)).toEqual(["succeeded", "pending", "pending"]);
    const stopped = await run(agent, null, { thread: "MF" });
    expect(requestOf(stopped.interrupts).type).toBe("budget");
    const done = await run(agent, raise, { thread: "MF" });
    expect(done.state.finalAnswer).toBe("fork done");
    // The fork ran b and c once each, and not a.
    expect(slow.calls.map((c) => c.n)).toEqual([1, 2, 3, 2, 3]);
  });
});

const forkDir = mkdtempSync(join(tmpdir(), "pe-fork-"));
afterAll(() => rmSync(forkDir, { recursive: true, force: true }));

const savers: [string, () => BaseCheckpointSaver][] = [
  ["memory", () => new MemorySaver()],
  ["sqlite", () => SqliteSaver.fromConnString(join(forkDir, `${Math.random()}.sqlite`))],
];

describe.each(savers)("forks at a stop inside the executor (%s)", (_name, makeSaver) => {
  /**
   * A LOW lookup `a` and an llm step `w` whose sub-agent calls the HIGH mailer, independent of each
   * other: in the first executor pass `a` finishes while `w` stops for approval inside the executor.
   * At that stop `a`'s result is only a pending task write of the checkpoint, not yet a record.
   */
  const setup = () => {
    const mail = mailer();
    const look = lookup();
    // The sub-agent asks for the mail until it has been told how that went; then it answers.
    const subAgent = (messages: { content: unknown }[]): ScriptedReply =>
      messages.some((m) => /sent to|rejected/.test(String(m.content)))
        ? "mailed"
        : { toolCalls: [{ name: "mail", args: { to: "a@example.com", body: "hi" } }] };
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "lookup", args: { key: "x" } },
            { id: "w", tool: "llm", args: { prompt: "mail a", tools: ["mail"] } },
          ),
        ],
        executor: Array.from({ length: 12 }, () => subAgent),
        synthesizer: ["answer 1", "answer 2", "answer 3"],
      },
      [look, mail, llmTool],
      makeSaver(),
    );
    return { agent, mail, look };
  };
  const CTX = { maxAnswerRevisions: 0, maxReplans: 0 };

  /** Runs thread `thread` to the sub-agent's stop; the checkpoint it waits at. */
  const toStop = async (agent: ReturnType<typeof setup>["agent"], thread: string) => {
    const first = await run(agent, { goal: "g" }, { thread, context: CTX });
    expect(requestOf(first.interrupts)).toMatchObject({ type: "step_approval", steps: [{ tool: "mail" }] });
    const atStop = await readThread(agent, thread);
    expect(atStop.status).toBe("waiting");
    // a finished in that pass, but only as a pending write: its record still says pending.
    expect(atStop.state.steps.a?.status ?? "pending").toBe("pending");
    return atStop;
  };

  /** Takes a fork to its sub-agent stop (it may already be there) and answers it. */
  const answerFork = async (agent: ReturnType<typeof setup>["agent"], thread: string, value: unknown) => {
    let view = await readThread(agent, thread);
    if (view.status !== "waiting") {
      await run(agent, null, { thread });
      view = await readThread(agent, thread);
    }
    expect(view.status).toBe("waiting");
    expect(view.pending[0]).toMatchObject({ type: "step_approval", steps: [{ tool: "mail" }] });
    return run(agent, resume(value), { thread });
  };

  it("carries a step that finished in the stopped pass into the fork: it does not run again", async () => {
    const { agent, mail, look } = setup();
    const atStop = await toStop(agent, "X");
    expect(look.calls).toHaveLength(1);

    const fork = await forkThread(agent, {
      threadId: "X",
      checkpointId: atStop.checkpointId!,
      newThreadId: "XF",
    });
    // As at the source's stop, a's record is written when the executor's pass ends (in the fork).
    expect(fork.next).toEqual(["executor"]);
    const done = await answerFork(agent, "XF", { action: "approve" });
    expect(done.state.finalAnswer).not.toBeNull();
    expect(look.calls).toHaveLength(1);
    expect(mail.calls).toHaveLength(1);
    expect(done.state.steps.a).toMatchObject({ status: "succeeded", output: "value of x", attempts: 1 });
    expect(done.state.steps.w?.status).toBe("succeeded");

    // The source, resumed, reads its own pending write back: still one lookup in all.
    const source = await run(agent, resume({ action: "reject", reason: "not from here" }), { thread: "X" });
    expect(source.state.finalAnswer).not.toBeNull();
    expect(look.calls).toHaveLength(1);
    expect(mail.calls).toHaveLength(1);
    expect(source.state.steps.a).toMatchObject({ status: "succeeded", output: "value of x" });
  });

  it("forked twice from the same stop, neither fork runs the finished step; forking runs no work itself", async () => {
    const { agent, mail, look } = setup();
    const atStop = await toStop(agent, "Y");
    const calls = () => [look.calls.length, mail.calls.length];
    const one = await forkThread(agent, {
      threadId: "Y",
      checkpointId: atStop.checkpointId!,
      newThreadId: "Y1",
    });
    const two = await forkThread(agent, {
      threadId: "Y",
      checkpointId: atStop.checkpointId!,
      newThreadId: "Y2",
    });
    // The stop is inside the executor: each fork waits to be resumed, and forking called no tool.
    expect([one.status, two.status]).toEqual(["interrupted", "interrupted"]);
    expect(calls()).toEqual([1, 0]);
    const approved = await answerFork(agent, "Y1", { action: "approve" });
    const rejected = await answerFork(agent, "Y2", { action: "reject", reason: "no" });
    expect(calls()).toEqual([1, 1]);
    for (const end of [approved, rejected]) {
      expect(end.state.steps.a).toMatchObject({ status: "succeeded", output: "value of x", attempts: 1 });
      expect(end.state.finalAnswer).not.toBeNull();
    }
    expect(approved.state.steps.w?.subAgentCalls?.map((c) => c.decision)).toEqual(["approved"]);
    expect(rejected.state.steps.w?.subAgentCalls?.map((c) => c.decision)).toEqual(["rejected"]);
  });

  /**
   * The sub-agent of `w` first calls a MEDIUM `note` (auto-approved, an effect of its own), then
   * the HIGH mailer: at the stop, its two model turns and the note call are finished tasks nested
   * in `w`'s task. `turns()` counts the executor model's calls: one per sub-agent turn.
   */
  const subAgentSetup = (mails = 1) => {
    const mail = mailer();
    const look = lookup();
    const note = fakeTool(
      "note",
      z.object({ text: z.string() }).strict(),
      (a) => `noted ${a.text}`,
      "MEDIUM",
    );
    const subAgent = (messages: { content: unknown }[]): ScriptedReply => {
      const said = messages.map((m) => String(m.content)).join("\n");
      const answered = said.match(/sent to|rejected/g)?.length ?? 0;
      if (answered >= mails) return "mailed";
      if (answered > 0) return { toolCalls: [{ name: "mail", args: { to: "b@example.com", body: "hi" } }] };
      if (/noted/.test(said))
        return { toolCalls: [{ name: "mail", args: { to: "a@example.com", body: "hi" } }] };
      return { toolCalls: [{ name: "note", args: { text: "draft" } }] };
    };
    const saver = makeSaver();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "lookup", args: { key: "x" } },
            { id: "w", tool: "llm", args: { prompt: "note, then mail a", tools: ["note", "mail"] } },
          ),
        ],
        executor: Array.from({ length: 20 }, () => subAgent),
        synthesizer: Array.from({ length: 5 }, (_, i) => `answer ${i + 1}`),
      },
      [look, mail, note, llmTool],
      saver,
    );
    const counts = () => ({
      turns: models.executor.calls.length,
      note: note.calls.length,
      mail: mail.calls.length,
      lookup: look.calls.length,
    });
    return { agent, counts, saver };
  };

  it("carries a sub-agent's finished turns and calls into the fork: none runs again", async () => {
    const { agent, counts } = subAgentSetup();
    const atStop = await toStop(agent, "N");
    // Turn 1 asked for the note, which ran; turn 2 asked for the mail, which waits.
    expect(counts()).toEqual({ turns: 2, note: 1, mail: 0, lookup: 1 });
    await forkThread(agent, { threadId: "N", checkpointId: atStop.checkpointId!, newThreadId: "NF" });
    expect(counts()).toEqual({ turns: 2, note: 1, mail: 0, lookup: 1 });
    const done = await answerFork(agent, "NF", { action: "approve" });
    expect(done.state.finalAnswer).not.toBeNull();
    // Only what came after the stop ran in the fork: the mail, and the turn that read its result.
    expect(counts()).toEqual({ turns: 3, note: 1, mail: 1, lookup: 1 });
    expect(done.state.steps.w?.subAgentCalls?.map((c) => [c.tool, c.decision, c.ok])).toEqual([
      ["note", "ran", true],
      ["mail", "approved", true],
    ]);
    expect(done.state.steps.w?.output).toBe("mailed");
    // The fork's audit has the note call (carried, recorded by the fork's executor) and its own decision.
    expect(done.state.audit.map((e) => [e.stepId, e.decision])).toEqual([
      ["w", "ran"],
      ["w", "approved"],
    ]);
  });

  it("forked twice from the same stop of a sub-agent, neither fork runs its finished turns and calls again", async () => {
    const { agent, counts } = subAgentSetup();
    const atStop = await toStop(agent, "P");
    const checkpointId = atStop.checkpointId!;
    await forkThread(agent, { threadId: "P", checkpointId, newThreadId: "P1" });
    await forkThread(agent, { threadId: "P", checkpointId, newThreadId: "P2" });
    const approved = await answerFork(agent, "P1", { action: "approve" });
    const rejected = await answerFork(agent, "P2", { action: "reject", reason: "no" });
    // Each fork asked the model once more (after its own decision); the note ran once in all.
    expect(counts()).toEqual({ turns: 4, note: 1, mail: 1, lookup: 1 });
    expect(approved.state.steps.w?.subAgentCalls?.map((c) => c.decision)).toEqual(["ran", "approved"]);
    expect(rejected.state.steps.w?.subAgentCalls?.map((c) => c.decision)).toEqual(["ran", "rejected"]);
    for (const end of [approved, rejected]) expect(end.state.finalAnswer).not.toBeNull();
  });

  it("forked at a sub-agent's stop the source answered afterwards, asks for the fork's own decision", async () => {
    for (const [thread, sourceDecision] of [
      ["Q", { action: "reject", reason: "not from the source" }],
      ["R", { action: "approve" }],
    ] as const) {
      const { agent, counts } = subAgentSetup();
      const atStop = await toStop(agent, thread);
      // The source answers its stop, and its step w finishes after it (its turn 3 and its record).
      const source = await run(agent, resume(sourceDecision), { thread });
      expect(source.state.steps.w?.status).toBe("succeeded");
      const mailed = sourceDecision.action === "approve" ? 1 : 0;
      expect(counts()).toEqual({ turns: 3, note: 1, mail: mailed, lookup: 1 });

      const fork = await forkThread(agent, {
        threadId: thread,
        checkpointId: atStop.checkpointId!,
        newThreadId: `${thread}F`,
      });
      // Neither the source's decision nor what it led to is carried: the fork stops for its own.
      expect(fork.state.steps.w?.status ?? "pending").toBe("pending");
      const resumed = await run(agent, null, { thread: `${thread}F` });
      expect(requestOf(resumed.interrupts)).toMatchObject({
        type: "step_approval",
        steps: [{ tool: "mail" }],
      });
      expect(counts()).toEqual({ turns: 3, note: 1, mail: mailed, lookup: 1 });
      // The fork decides the other way from the source.
      const other =
        sourceDecision.action === "approve"
          ? { action: "reject", reason: "fork says no" }
          : { action: "approve" };
      const done = await run(agent, resume(other), { thread: `${thread}F` });
      expect(done.state.finalAnswer).not.toBeNull();
      expect(counts()).toEqual({ turns: 4, note: 1, mail: 1, lookup: 1 });
      expect(done.state.steps.w?.subAgentCalls?.map((c) => c.decision)).toEqual([
        "ran",
        other.action === "approve" ? "approved" : "rejected",
      ]);
      expect(done.state.audit.map((e) => [e.stepId, e.decision])).toEqual([
        ["w", "ran"],
        ["w", other.action === "approve" ? "approved" : "rejected"],
      ]);
    }
  });

  it("refuses to fork at a sub-agent's stop the source answered and stopped again at: before and after cannot be told apart", async () => {
    // Two HIGH mails: the source approves the first, and w stops again (at the same checkpoint) for the second.
    const { agent, counts } = subAgentSetup(2);
    const atStop = await toStop(agent, "S");
    const again = await run(agent, resume({ action: "approve" }), { thread: "S" });
    expect(requestOf(again.interrupts)).toMatchObject({
      steps: [{ tool: "mail", args: { to: "b@example.com" } }],
    });
    expect((await readThread(agent, "S")).checkpointId).toBe(atStop.checkpointId);
    const before = counts();
    await expect(
      forkThread(agent, { threadId: "S", checkpointId: atStop.checkpointId!, newThreadId: "SF" }),
    ).rejects.toThrow(/cannot fork here: w stopped here and the source went on after a decision/);
    expect(counts()).toEqual(before);
    expect((await agent.getState({ configurable: { thread_id: "SF" } })).createdAt).toBeUndefined();
  });

  it("refuses to fork when a sub-agent's result is saved under a task id this version does not derive", async () => {
    const { agent, saver } = subAgentSetup();
    const atStop = await toStop(agent, "U");
    // A turn saved under another id, as a LangGraph that derived task ids otherwise would have left it.
    const config = {
      configurable: { thread_id: "U", checkpoint_ns: "", checkpoint_id: atStop.checkpointId },
    };
    await saver.putWrites(config, [["__return__", { text: "", calls: [], usage: null }]], "not-a-derived-id");
    await expect(
      forkThread(agent, { threadId: "U", checkpointId: atStop.checkpointId!, newThreadId: "UF" }),
    ).rejects.toThrow(/a sub-agent's turn or call are saved under task ids this version does not derive/);
  });

  it("a step that started and never finished at the fork point runs again in the fork (as after a crash)", async () => {
    // `slow` is running when the run is cut off (the process-death stand-in: an abort); `a` had finished.
    const look = lookup();
    const slowStarted: number[] = [];
    const slow = fakeTool("slow", z.object({ n: z.number() }).strict(), async (_a, signal) => {
      slowStarted.push(Date.now());
      if (slowStarted.length === 1)
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("cut"))));
      return "slow done";
    });
    const { agent } = scriptedAgent(
      {
        planner: [
          plan({ id: "a", tool: "lookup", args: { key: "x" } }, { id: "s", tool: "slow", args: { n: 1 } }),
        ],
        synthesizer: ["fork answer"],
      },
      [look, slow],
      makeSaver(),
    );
    const controller = new AbortController();
    const cut = agent
      .invoke({ goal: "g" } as never, {
        configurable: { thread_id: "Z" },
        context: CTX,
        signal: controller.signal,
      })
      .catch((e: unknown) => e);
    while (slowStarted.length === 0 || look.calls.length === 0) await sleep(5);
    await sleep(20); // a's result is saved
    controller.abort();
    await cut;
    const atCut = await readThread(agent, "Z");
    expect(atCut.next).toEqual(["executor"]);
    const fork = await forkThread(agent, {
      threadId: "Z",
      checkpointId: atCut.checkpointId!,
      newThreadId: "ZF",
    });
    expect(fork.status).toBe("interrupted");
    const done = await run(agent, null, { thread: "ZF" });
    expect(done.state.finalAnswer).toBe("fork answer");
    expect(look.calls).toHaveLength(1);
    expect(slowStarted).toHaveLength(2);
    expect(done.state.steps.s).toMatchObject({ status: "succeeded", output: "slow done" });
  });
});

describe("budgets bind inside a plan", () => {
  const chain = () =>
    plan(
      { id: "a", tool: "slow", args: { n: 1 } },
      { id: "b", tool: "slow", args: { n: 2 }, depends_on: ["a"] },
      { id: "c", tool: "slow", args: { n: 3 }, depends_on: ["b"] },
    );

  it("maxWallMs: no new step starts once the time is used, and the run stops at the budget stop", async () => {
    const slow = fakeTool("slow", z.object({ n: z.number() }).strict(), async (a) => {
      await sleep(300);
      return a.n;
    });
    const { agent } = scriptedAgent({ planner: [chain()], synthesizer: ["partial"] }, [slow]);
    const first = await run(agent, { goal: "g" }, { context: { maxWallMs: 200 } });
    expect(requestOf(first.interrupts)).toMatchObject({ type: "budget", exceeded: [{ key: "maxWallMs" }] });
    // The step that was running when the limit passed finished; none started after it.
    expect(slow.calls).toEqual([{ n: 1 }]);
    const finished = await run(agent, resume({ action: "finish" }), { thread: first.thread });
    expect(finished.state.finalAnswer).toBe("partial");
    expect(slow.calls).toHaveLength(1);
  });

  it("maxTokens and maxCostUsd: usage reported by a finished step stops the next one", async () => {
    for (const limit of [{ maxTokens: 1000 }, { maxCostUsd: 0.001 }]) {
      const llm = fakeTool("think", z.object({ n: z.number() }).strict(), () => `thought`);
      const thinking = {
        ...llm,
        usesModel: true,
        async run(args: { n: number }, ctx: Parameters<typeof llm.run>[1]) {
          ctx.reportUsage({ input_tokens: 900, output_tokens: 300, total_tokens: 1200, model: "gpt-4o" });
          return llm.run(args, ctx);
        },
      };
      const { agent } = scriptedAgent(
        {
          planner: [
            plan(
              { id: "a", tool: "think", args: { n: 1 } },
              { id: "b", tool: "think", args: { n: 2 }, depends_on: ["a"] },
            ),
          ],
          synthesizer: ["partial"],
        },
        [thinking],
      );
      const first = await run(agent, { goal: "g" }, { context: limit });
      expect(requestOf(first.interrupts)).toMatchObject({ type: "budget" });
      expect(llm.calls).toEqual([{ n: 1 }]);
    }
  });
});
