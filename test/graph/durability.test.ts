import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, interrupt, MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { PlanTool } from "../../src/tools/types.js";
import { plan, run, scriptedAgent } from "../helpers/agent.js";
import { waitTool, type Span } from "../helpers/timeline.js";

const dir = mkdtempSync(join(tmpdir(), "pe-durability-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `gate`: pauses the run with an interrupt and returns what the resume said. */
function gateTool() {
  const entered: number[] = [];
  const tool: PlanTool<{ question: string }> = {
    name: "gate",
    description: "asks a person",
    schema: z.object({ question: z.string() }).strict(),
    risk: "LOW",
    async run({ question }) {
      entered.push(Date.now());
      const answer = interrupt({ question });
      return `answered: ${String(answer)}`;
    },
  };
  return { tool, entered };
}

const checkpointers: [string, () => BaseCheckpointSaver][] = [
  ["memory", () => new MemorySaver()],
  ["sqlite", () => SqliteSaver.fromConnString(join(dir, `${Math.random()}.sqlite`))],
];

describe.each(checkpointers)("exactly-once execution across an interrupt (%s)", (_name, makeSaver) => {
  it("resumes without re-running any finished step, including steps that were running in parallel", async () => {
    const w = waitTool();
    const gate = gateTool();
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "quick", tool: "wait", args: { ms: 30, label: "quick" } },
            { id: "long", tool: "wait", args: { ms: 300, label: "long" } },
            { id: "ask", tool: "gate", args: { question: "go on?" } },
            {
              id: "after_quick",
              tool: "wait",
              args: { ms: 30, label: "after_quick" },
              depends_on: ["quick"],
            },
            { id: "after_ask", tool: "wait", args: { ms: 30, label: "after_ask" }, depends_on: ["ask"] },
          ),
        ],
        synthesizer: ["all done"],
      },
      [w.tool, gate.tool],
      makeSaver(),
    );

    const first = await run(agent, { goal: "g" });
    expect(first.interrupts).toHaveLength(1);
    expect(first.state.finalAnswer).toBeNull();
    // The interrupt hit while "long" was still running; it finished and was saved before the pause.
    expect((w.spans.get("long") as Span).end).toBeGreaterThan(gate.entered[0] ?? Infinity);
    expect(w.completed.get("after_ask")).toBeUndefined();

    const second = await run(agent, new Command({ resume: "yes" }), { thread: first.thread });
    expect(second.state.finalAnswer).toBe("all done");
    expect(Object.fromEntries(w.started)).toEqual({ quick: 1, long: 1, after_quick: 1, after_ask: 1 });
    expect(Object.fromEntries(w.completed)).toEqual({ quick: 1, long: 1, after_quick: 1, after_ask: 1 });
    expect(second.state.steps.ask).toMatchObject({ status: "succeeded", output: "answered: yes" });
    for (const id of ["quick", "long", "after_quick", "after_ask"]) {
      expect(second.state.steps[id]?.status).toBe("succeeded");
    }
  });
});
