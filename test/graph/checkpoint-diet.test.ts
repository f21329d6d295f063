import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { readThread, threadHistory } from "../../src/agent/threads.js";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "pe-checkpoint-diet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const big = (id: string) => `${id}:`.padEnd(4000, "x");

function tools() {
  return [
    fakeTool("read", z.object({ id: z.string() }).strict(), (a) => big(a.id)),
    fakeTool("send", z.object({ id: z.string() }).strict(), (a) => `sent ${a.id}`, "HIGH"),
  ];
}

const checkpointers: [string, () => BaseCheckpointSaver][] = [
  ["memory", () => new MemorySaver()],
  ["sqlite", () => SqliteSaver.fromConnString(join(dir, `${Math.random()}.sqlite`))],
];

describe.each(checkpointers)("step records stored as deltas (%s)", (_name, makeSaver) => {
  it("keeps every value readable: state, each checkpoint of the history, a thread read, another agent", async () => {
    const saver = makeSaver();
    const script = {
      planner: [
        plan(
          { id: "a", tool: "read", args: { id: "a" } },
          { id: "b", tool: "read", args: { id: "b" }, depends_on: ["a"] },
          { id: "s", tool: "send", args: { id: "s" }, depends_on: ["b"] },
        ),
      ],
      synthesizer: ["done [a] [b] [s]"],
    };
    const { agent } = scriptedAgent(script, tools(), saver);
    const first = await run(agent, { goal: "g" });
    expect(first.interrupts).toHaveLength(1);
    const done = await run(agent, new Command({ resume: { action: "approve" } }), { thread: first.thread });
    expect(done.state.finalAnswer).toBe("done [a] [b] [s]");

    const config = { configurable: { thread_id: first.thread } };
    // The checkpoints themselves carry no step records…
    const latest = await saver.getTuple(config);
    expect(latest?.checkpoint.channel_values).not.toHaveProperty("steps");
    // …yet every reader of state sees them.
    expect(done.state.steps.a?.output).toBe(big("a"));
    expect(done.state.steps.s).toMatchObject({ status: "succeeded", output: "sent s" });
    expect(done.state.steps.s?.approval?.status).toBe("approved");
    const view = await readThread(agent, first.thread);
    expect(view.state.steps.b?.output).toBe(big("b"));
    // Each checkpoint of the history shows the records as they were then.
    const statuses: string[] = [];
    for await (const snapshot of agent.getStateHistory(config)) {
      const steps = (snapshot.values as PlanExecuteStateType).steps ?? {};
      statuses.push(["a", "b", "s"].map((id) => steps[id]?.status ?? "-").join(","));
    }
    expect(statuses.at(0)).toBe("succeeded,succeeded,succeeded");
    expect(statuses).toContain("succeeded,succeeded,pending");
    expect(statuses).toContain("pending,pending,pending");
    expect(statuses.at(-1)).toBe("-,-,-");
    const { entries } = await threadHistory(agent, first.thread);
    expect(entries.length).toBe(statuses.length);
    // An agent that has never seen the thread (another process) reads the same values.
    const other = scriptedAgent({}, tools(), saver).agent;
    expect((await other.getState(config)).values.steps).toEqual(done.state.steps);
  });

  it("starts a new run on the thread from empty records, the old run still in the history", async () => {
    const saver = makeSaver();
    const { agent } = scriptedAgent(
      {
        planner: [
          plan({ id: "a", tool: "read", args: { id: "a" } }),
          plan({ id: "z", tool: "read", args: { id: "z" } }),
        ],
        synthesizer: ["one [a]", "two [z]"],
      },
      tools(),
      saver,
    );
    const first = await run(agent, { goal: "one" });
    const second = await run(agent, { goal: "two" }, { thread: first.thread });
    expect(Object.keys(second.state.steps)).toEqual(["z"]);
    expect(second.state.steps.z?.output).toBe(big("z"));
    const old: string[][] = [];
    for await (const snapshot of agent.getStateHistory({ configurable: { thread_id: first.thread } })) {
      old.push(Object.keys((snapshot.values as PlanExecuteStateType).steps ?? {}));
    }
    expect(old).toContainEqual(["a"]);
  });
});
