import { describe, expect, it } from "vitest";
import { main as asTool } from "../../examples/as-tool.js";
import { main as plainNode } from "../../examples/plain-node.js";
import { main as subgraph } from "../../examples/subgraph.js";

/** Every figure comes from a tool: the corpus for the revenues, the calculator for the ratio. */
const ANSWER =
  "NVIDIA's fiscal 2024 revenue ($60.92 billion) [nvda] was 2.36 times AMD's 2024 revenue ($25.79 billion) [amd] [ratio].";

function logger() {
  const lines: string[] = [];
  return { lines, log: (line: string) => void lines.push(line) };
}

describe("examples (offline, scripted models, real tools)", () => {
  it("plain-node: invoke gives the answer; stream shows the run's progress as it happens", async () => {
    const { lines, log } = logger();
    const result = await plainNode({ live: false, log });
    expect(result.invoked).toBe(ANSWER);
    expect(result.streamed).toBe(ANSWER);
    const types = result.events.map((e) => e.type);
    expect(types[0]).toBe("plan_created");
    // The answer, then its review (the deterministic checks; no model with the critic off).
    expect(types.slice(-2)).toEqual(["final", "answer_reviewed"]);
    expect(result.state.answerReview).toMatchObject({ passed: true, by: ["checks"] });
    expect(result.events.filter((e) => e.type === "step_finished").map((e) => e.stepId)).toEqual(
      expect.arrayContaining(["nvda", "amd", "ratio"]),
    );
    expect(result.state.steps.ratio?.output).toBe(2.36);
    // The invocation's own context (maxConcurrency) is what the run keeps; the agent's limits are not copied in.
    expect(result.state.settings).toMatchObject({ maxConcurrency: 2 });
    expect(lines).toContain("plan v1: nvda (search), amd (search), ratio (calculator)");
    expect(lines.at(-1)).toBe(`stream: ${ANSWER}`);
  });

  it("subgraph: the parent maps its state to the agent and back, and resumes the agent's plan approval", async () => {
    const { lines, log } = logger();
    const result = await subgraph({ live: false, log });
    expect(result.requests).toHaveLength(1);
    expect(result.requests[0]).toMatchObject({ type: "plan_approval", version: 1 });
    expect(result.requests[0]?.type === "plan_approval" && result.requests[0].steps.map((s) => s.id)).toEqual(
      ["nvda", "amd", "ratio"],
    );
    expect(result.answer).toBe(ANSWER);
    expect(result.report).toBe(
      `Q: How many times larger was NVIDIA's fiscal 2024 revenue than AMD's 2024 revenue?\nA: ${ANSWER}`,
    );
    // Progress events come from inside the subgraph, through the parent's stream.
    expect(result.events.every((e) => e.namespace.startsWith("research:"))).toBe(true);
    expect(result.events.map((e) => e.event.type)).toContain("final");
    expect(lines.at(-1)).toBe(result.report);
  });

  it("as-tool: another agent calls the plan-and-execute tool with a goal and answers from its result", async () => {
    const { log } = logger();
    const result = await asTool({ live: false, log });
    expect(result.toolCalls).toEqual([
      expect.objectContaining({
        name: "plan_and_execute",
        args: { goal: "How many times larger was NVIDIA's fiscal 2024 revenue than AMD's 2024 revenue?" },
      }),
    ]);
    expect(result.toolResults).toEqual([ANSWER]);
    expect(result.answer).toBe(`Here is what my research agent found: ${ANSWER}`);
  });
});
