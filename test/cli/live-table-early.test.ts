import { describe, expect, it } from "vitest";
import { LiveTable } from "../../src/cli/live-table.js";

const step = (id: string) => ({
  id,
  description: `step ${id}`,
  tool: "read",
  args: {},
  depends_on: [],
  expected_output: "x",
});

describe("live table and the streaming planner", () => {
  it("shows a step that started and finished before the plan was complete as finished, not pending", () => {
    let out = "";
    const table = new LiveTable({ write: (text) => void (out += text) });
    const at = Date.now();
    table.event({ type: "step_started", at, stepId: "a", tool: "read", attempt: 1 });
    table.event({
      type: "step_finished",
      at: at + 1200,
      stepId: "a",
      tool: "read",
      durationMs: 1200,
      attempts: 1,
    });
    table.event({
      type: "plan_created",
      at: at + 1500,
      version: 1,
      steps: [step("a"), step("b")],
      replan: false,
    });
    table.stop();
    const plain = out.replaceAll(`${String.fromCharCode(27)}[0m`, "");
    expect(plain).toMatch(/✔ a\s+read\s+1\.2s/);
    expect(plain).toMatch(/· b\s+read/);
  });

  it("on a resume, starts from the saved steps: finished ones with their times, a waiting one as waiting", () => {
    let out = "";
    const table = new LiveTable({ write: (text) => void (out += text) });
    const at = Date.now() - 60_000;
    table.seed([step("a"), step("b"), step("c")], {
      a: { status: "succeeded", startedAt: at, finishedAt: at + 2_500 },
      b: { status: "pending", approval: { status: "waiting" } },
    });
    let plain = out.replaceAll(`${String.fromCharCode(27)}[0m`, "");
    expect(plain).toMatch(/✔ a\s+read\s+2\.5s/);
    expect(plain).toMatch(/⏸ b\s+read\s+.*waiting for a person/);
    expect(plain).toMatch(/· c\s+read/);
    // The approved step now runs and finishes: its row changes in place, a's stays finished.
    out = "";
    table.event({ type: "step_started", at: Date.now(), stepId: "b", tool: "read", attempt: 1 });
    table.event({
      type: "step_finished",
      at: Date.now(),
      stepId: "b",
      tool: "read",
      durationMs: 5,
      attempts: 1,
    });
    table.stop();
    plain = out.replaceAll(`${String.fromCharCode(27)}[0m`, "");
    expect(plain).toMatch(/✔ a\s+read\s+2\.5s/);
    expect(plain).toMatch(/✔ b\s+read/);
  });
});
