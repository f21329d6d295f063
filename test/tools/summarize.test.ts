import { describe, expect, it } from "vitest";
import { ScriptedChatModel } from "../../src/testing/scripted.js";
import { summarizeTool } from "../../src/tools/summarize.js";
import { ToolInputError } from "../../src/tools/types.js";
import { runTool, toolContext } from "../fixtures/tool-context.js";

describe("summarizeTool", () => {
  it("is a LOW-risk LLM step with a timeout", () => {
    expect(summarizeTool).toMatchObject({ name: "summarize", risk: "LOW", usesModel: true });
    expect(summarizeTool.timeoutMs).toBeGreaterThan(0);
    expect(summarizeTool.schema.parse({})).toEqual({ maxWords: 150, format: "paragraph" });
  });

  it("summarises the dependencies' outputs on the executor model and reports its usage", async () => {
    const model = new ScriptedChatModel({ replies: ["  Revenue grew 12% [step_2].  "] });
    const ctx = toolContext({
      model,
      goal: "Brief the CFO",
      dependencies: [
        { id: "step_2", description: "Revenue by year", output: { growth_pct: 12 } },
        { id: "step_3", description: "Notes", output: "no anomalies" },
      ],
    });
    const out = await runTool(summarizeTool, { focus: "for the CFO", maxWords: 50, format: "bullets" }, ctx);
    expect(out).toBe("Revenue grew 12% [step_2].");
    const prompt = String(model.calls[0]?.messages.at(-1)?.content);
    expect(prompt).toContain("Overall goal: Brief the CFO");
    expect(prompt).toContain('[step_2] Revenue by year\n{"growth_pct":12}');
    expect(prompt).toContain("[step_3] Notes\nno anomalies");
    expect(prompt).toContain("Focus: for the CFO");
    expect(prompt).toMatch(/at most 50 words, as a bulleted list/);
    expect(ctx.usage).toHaveLength(1);
  });

  it("summarises the text it is given instead of the dependencies", async () => {
    const model = new ScriptedChatModel({ replies: ["short"] });
    const ctx = toolContext({ model, dependencies: [{ id: "step_9", description: "x", output: "ignored" }] });
    await runTool(summarizeTool, { text: "A long text about widgets." }, ctx);
    const prompt = String(model.calls[0]?.messages.at(-1)?.content);
    expect(prompt).toContain("A long text about widgets.");
    expect(prompt).not.toContain("ignored");
  });

  it("refuses to run with nothing to summarise, without calling the model", async () => {
    const model = new ScriptedChatModel({ replies: [] });
    await expect(runTool(summarizeTool, {}, toolContext({ model }))).rejects.toBeInstanceOf(ToolInputError);
    expect(model.callCount).toBe(0);
  });

  it("refuses oversized text", () => {
    expect(summarizeTool.schema.safeParse({ text: "x".repeat(50_001) }).success).toBe(false);
  });
});
