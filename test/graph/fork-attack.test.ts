import { describe, expect, it } from "vitest";
import { z } from "zod";
import { forkThread, threadHistory } from "../../src/agent/threads.js";
import { plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

describe("adversarial: forks at other checkpoints", () => {
  it("forked at the run's input checkpoint, the fork starts the same goal (the goal is the input's pending write there, not yet state)", async () => {
    const look = fakeTool("lookup", z.object({ key: z.string() }).strict(), (a) => `v ${a.key}`);
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan({ id: "a", tool: "lookup", args: { key: "x" } }),
          plan({ id: "a", tool: "lookup", args: { key: "x" } }),
        ],
        synthesizer: ["source answer", "fork answer"],
      },
      [look],
    );
    await run(agent, { goal: "count the apples" }, { thread: "IN", context: { maxAnswerRevisions: 0 } });
    const { entries } = await threadHistory(agent, "IN");
    const input = entries.at(-1)!;
    expect(input.source).toBe("input");
    const fork = await forkThread(agent, {
      threadId: "IN",
      checkpointId: input.checkpointId,
      newThreadId: "INF",
    });
    expect(fork.next).toEqual(["__start__"]);
    const done = await run(agent, null, { thread: "INF", context: { maxAnswerRevisions: 0 } });
    expect(done.state.goal).toBe("count the apples");
    expect(done.state.finalAnswer).toBe("fork answer");
    expect(models.planner.calls[1]!.messages.map((m) => m.text).join("\n")).toContain("count the apples");
  });
});
