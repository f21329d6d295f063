import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { plan, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

/**
 * Time travel on one thread: `updateState` on an earlier checkpoint (what Studio's "edit state"
 * in the past does) starts a new branch from the state as of that checkpoint. The step records are
 * stored as deltas (writes replayed along a checkpoint's ancestors); the writes the original
 * branch made from that checkpoint must not leak into the new branch, nor the update into the
 * original branch.
 */
const dir = mkdtempSync(join(tmpdir(), "pe-time-travel-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const savers: [string, () => BaseCheckpointSaver][] = [
  ["MemorySaver", () => new MemorySaver()],
  ["SQLite", () => SqliteSaver.fromConnString(join(dir, `${Math.random().toString(36).slice(2)}.sqlite`))],
];

const statuses = (values: unknown) =>
  Object.fromEntries(
    Object.values((values as PlanExecuteStateType).steps ?? {}).map((r) => [r.id, r.status]),
  );

describe.each(savers)("time travel on %s", (_name, makeSaver) => {
  it("an update before the executor shows the steps as of then, re-runs only them, and leaves the old branch alone", async () => {
    const lookup = fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => `value of ${a.key}`);
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "lookup", args: { key: "x" } },
            { id: "b", tool: "lookup", args: { key: "y" }, depends_on: ["a"] },
          ),
        ],
        synthesizer: ["first answer", "second answer"],
      },
      [lookup],
      makeSaver(),
    );
    const config = { configurable: { thread_id: "tt" } };
    await agent.invoke({ goal: "g" }, config);
    const finalBefore = await agent.getState(config);
    expect(statuses(finalBefore.values)).toEqual({ a: "succeeded", b: "succeeded" });
    const history = [];
    for await (const s of agent.getStateHistory(config)) history.push(s);
    const beforeExecutor = history.find((s) => s.next.includes("executor"))!;
    expect(statuses(beforeExecutor.values)).toEqual({ a: "pending", b: "pending" });

    const branch = await agent.updateState(beforeExecutor.config, { finishRequested: false }, "planner");
    const travelled = await agent.getState(branch);
    // Before the fix: a and b showed as succeeded here (the original branch's writes), and the
    // resumed run below ran nothing.
    expect(statuses(travelled.values)).toEqual({ a: "pending", b: "pending" });
    expect(travelled.next).toEqual(["executor"]);

    const resumed = (await agent.invoke(null, branch)) as PlanExecuteStateType;
    expect(statuses(resumed)).toEqual({ a: "succeeded", b: "succeeded" });
    expect(lookup.calls).toHaveLength(4); // the new branch ran what had not run as of its checkpoint
    expect(resumed.finalAnswer).toBe("second answer");

    // The original branch still reads as it was.
    const old = await agent.getState(finalBefore.config);
    expect(statuses(old.values)).toEqual({ a: "succeeded", b: "succeeded" });
    expect((old.values as PlanExecuteStateType).finalAnswer).toBe("first answer");
  });

  it("travelling back to before a HIGH step's approval asks again: nothing runs without a new decision", async () => {
    const deploy = fakeTool(
      "deploy",
      z.object({ target: z.string() }).strict(),
      (a) => `deployed ${a.target}`,
      "HIGH",
    );
    const { agent } = scriptedAgent(
      {
        planner: [plan({ id: "ship", tool: "deploy", args: { target: "prod" } })],
        synthesizer: ["shipped", "shipped again"],
      },
      [deploy],
      makeSaver(),
    );
    const config = { configurable: { thread_id: "tt-approval" } };
    await agent.invoke({ goal: "ship" }, config);
    await agent.invoke(new Command({ resume: { decisions: { ship: { action: "approve" } } } }), config);
    expect(deploy.calls).toHaveLength(1);

    const history = [];
    for await (const s of agent.getStateHistory(config)) history.push(s);
    const waiting = history.find((s) => s.next.includes("approve_steps"))!;
    const branch = await agent.updateState(waiting.config, { finishRequested: false }, "evaluator");
    expect(
      (await agent.getState(branch)).values.steps.ship.approval?.status,
      "the approval as of that checkpoint",
    ).toBe("waiting");
    const again = await agent.invoke(null, branch);
    expect((again as { __interrupt__?: { value: { type: string } }[] }).__interrupt__?.[0]?.value.type).toBe(
      "step_approval",
    );
    expect(deploy.calls).toHaveLength(1); // the earlier approval does not carry over to the new branch
  });

  it("an update of the latest checkpoint (no checkpoint id) keeps the finished steps, as before", async () => {
    const lookup = fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => `value of ${a.key}`);
    const { agent } = scriptedAgent(
      { planner: [plan({ id: "a", tool: "lookup", args: { key: "x" } })], synthesizer: ["done"] },
      [lookup],
      makeSaver(),
    );
    const config = { configurable: { thread_id: "tt-latest" } };
    await agent.invoke({ goal: "g" }, config);
    await agent.updateState(config, { finishRequested: false });
    expect(statuses((await agent.getState(config)).values)).toEqual({ a: "succeeded" });
    expect(lookup.calls).toHaveLength(1);
  });
});
