import { describe, expect, it } from "vitest";
import { z } from "zod";
import { scriptedAgent, plan, run } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";
import type { BaseMessage } from "@langchain/core/messages";

const promptOf = (messages: BaseMessage[]) => messages.map((m) => m.text).join("\n");

describe("adversarial: which outputs count as taken up after a replan", () => {
  const rows = Array.from({ length: 200 }, (_, i) => ({
    region: i % 2 ? "East" : "West",
    revenue: 1000 + i,
  }));
  const setup = () => {
    const load = fakeTool("load", z.object({}).strict(), () => ({ rows }));
    const total = fakeTool("total", z.object({ rows: z.array(z.unknown()) }).strict(), (a) => ({
      total: a.rows.length,
    }));
    const boom = fakeTool("boom", z.object({ rows: z.array(z.unknown()) }).strict(), () => {
      throw new Error("boom");
    });
    return { load, total, boom };
  };

  it("an output whose only consumer failed (and was replanned away) is shown whole, not cut", async () => {
    const { load, total, boom } = setup();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "load", tool: "load" },
            { id: "bad", tool: "boom", args: { rows: "{{load.output.rows}}" }, depends_on: ["load"] },
          ),
          plan({ id: "other", tool: "load" }),
        ],
        synthesizer: ["done [load]"],
      },
      [load, total, boom],
    );
    await run(
      agent,
      { goal: "g" },
      { context: { usedOutputChars: 50, promptOutputChars: 100_000, maxRetries: 0 } },
    );
    const prompt = promptOf(models.synthesizer.calls[0]!.messages);
    expect(prompt).not.toContain("taken up by");
  });

  it("a finished output a recovery step takes up through a reference in args alone is cut as one named in depends_on is", async () => {
    const { load, total, boom } = setup();
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "load", tool: "load" },
            { id: "bad", tool: "boom", args: { rows: "{{load.output.rows}}" }, depends_on: ["load"] },
          ),
          // A finished step may be referenced without depends_on (plan/validate.ts checkReferences).
          plan({ id: "sum", tool: "total", args: { rows: "{{load.output.rows}}" } }),
        ],
        synthesizer: ["There are 200 rows [sum]."],
      },
      [load, total, boom],
    );
    const done = await run(
      agent,
      { goal: "count the rows" },
      { context: { usedOutputChars: 50, promptOutputChars: 100_000, maxRetries: 0 } },
    );
    expect(done.state.steps.sum?.status).toBe("succeeded");
    expect(total.calls).toHaveLength(1);
    const prompt = promptOf(models.synthesizer.calls[0]!.messages);
    expect(prompt).toMatch(/\[load\] step load\n[^\n]{0,60}… \(\d+ more characters, taken up by sum\)/);
  });
});
