import { Command, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { listThreads, readThread, threadHistory } from "../../src/agent/threads.js";
import { buildPlanExecuteGraph } from "../../src/graph/builder.js";
import { threadReader } from "../../src/graph/reader.js";
import { PLAN_EXECUTE_NODES } from "../../src/graph/shape.js";
import { fixedModelProvider } from "../../src/models/provider.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

/**
 * The thread reader has the graph's shape without its nodes' code (so the CLI's read-only commands
 * import no node, model or tool). It must read every thread exactly as the full graph does.
 */
function tools() {
  return [
    fakeTool("read", z.object({ id: z.string() }).strict(), (a) => `read ${a.id}`),
    fakeTool("send", z.object({ id: z.string() }).strict(), (a) => `sent ${a.id}`, "HIGH"),
  ];
}

describe("threadReader", () => {
  it("has the full graph's nodes, channels and node triggers", () => {
    const saver = new MemorySaver();
    const full = scriptedAgent({}, tools(), saver).agent;
    const reader = threadReader(saver);
    const shape = (g: typeof full | ReturnType<typeof threadReader>) => ({
      channels: Object.keys(g.channels).sort(),
      channelKinds: Object.fromEntries(
        Object.entries(g.channels).map(([k, c]) => [k, (c as object).constructor.name]),
      ),
      triggers: Object.fromEntries(Object.entries(g.nodes).map(([k, n]) => [k, [...n.triggers]])),
    });
    expect(shape(reader)).toEqual(shape(full));
    expect(Object.keys(reader.nodes).filter((n) => n !== "__start__")).toEqual([...PLAN_EXECUTE_NODES]);
  });

  it("reads a waiting thread, a finished one and their history as the full graph does", async () => {
    const saver = new MemorySaver();
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "read", args: { id: "a" } },
            { id: "s", tool: "send", args: { id: "s" }, depends_on: ["a"] },
          ),
        ],
        synthesizer: ["done [a] [s]"],
      },
      tools(),
      saver,
    );
    const reader = threadReader(saver);
    const first = await run(agent, { goal: "read then send" });
    expect(first.interrupts).toHaveLength(1);

    const waiting = await readThread(reader, first.thread);
    expect(waiting.status).toBe("waiting");
    expect(waiting.pending[0]?.type).toBe("step_approval");
    expect(waiting.next).toEqual(["approve_steps"]);
    expect(waiting).toEqual(await readThread(agent, first.thread));

    await run(agent, new Command({ resume: { action: "approve" } }), { thread: first.thread });
    const finished = await readThread(reader, first.thread);
    expect(finished.status).toBe("finished");
    expect(finished.state.steps.s).toMatchObject({ status: "succeeded", output: "sent s" });
    expect(finished).toEqual(await readThread(agent, first.thread));
    expect(await threadHistory(reader, first.thread)).toEqual(await threadHistory(agent, first.thread));
    expect(await listThreads(reader, saver)).toEqual(await listThreads(agent, saver));
  });

  it("reads a thread stopped between nodes as interrupted, with the same next node", async () => {
    const saver = new MemorySaver();
    const models = scriptedAgent(
      { planner: [plan({ id: "a", tool: "read", args: { id: "a" } })] },
      tools(),
    ).models;
    const stopping = buildPlanExecuteGraph({
      models: fixedModelProvider(models),
      tools: new ToolRegistry(tools()),
    }).compile({ checkpointer: saver, interruptBefore: ["evaluator"] });
    const stopped = await run(stopping, { goal: "read" });
    const view = await readThread(threadReader(saver), stopped.thread);
    expect(view.status).toBe("interrupted");
    expect(view.next).toEqual(["evaluator"]);
    expect(view).toEqual(await readThread(stopping, stopped.thread));
  });

  it("refuses to run", async () => {
    const reader = threadReader(new MemorySaver());
    await expect(reader.invoke({ goal: "g" }, { configurable: { thread_id: "t" } })).rejects.toThrow(
      /only reads threads/,
    );
  });
});
