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
});
