import { describe, expect, it } from "vitest";
import { z } from "zod";
import { scenarioTools } from "../../src/demo/agent.js";
import { createDefaultTools, ToolRegistry } from "../../src/tools/index.js";
import { rankTools, renderSignature, selectTools, stem, typeOf } from "../../src/tools/prompt.js";
import type { PlanTool } from "../../src/tools/types.js";
import { fortyTools } from "../fixtures/catalogue.js";

const tool = (name: string, schema: z.ZodType, description = `does ${name}`): PlanTool =>
  ({ name, description, schema, risk: "LOW", run: async () => null }) as PlanTool;

describe("the planner's tool list", () => {
  it("renders each tool as a signature with its argument descriptions, without schema boilerplate", () => {
    const text = new ToolRegistry(createDefaultTools()).describeForPrompt();
    expect(text).toContain("- calculator(expression: string) [LOW]: Evaluate a math expression");
    expect(text).toContain("\n    expression: One math expression in mathjs syntax");
    expect(text).toContain("- search(query: string, limit?: integer = 3) [LOW]: Full-text (BM25) search");
    expect(text).toContain('format?: "paragraph" | "bullets" = "paragraph"');
    for (const junk of ["$schema", "additionalProperties", '"type"', "maxLength"])
      expect(text).not.toContain(junk);
  });

  it("points an argument described as in an earlier tool back to it instead of repeating it", () => {
    const text = new ToolRegistry(createDefaultTools()).describeForPrompt();
    expect(text.match(/The rows themselves as objects/g)).toHaveLength(1);
    expect(text).toMatch(/- group_by\([^\n]*\n(?: {4}[^\n]*\n)*? {4}path, rows: as for describe_data\./);
  });

  it("writes types the way a TypeScript signature would", () => {
    const schema = z.object({
      a: z.array(z.object({ x: z.number(), y: z.string().nullable().optional() })),
      b: z.union([z.string(), z.number().int()]),
      c: z.literal("only"),
      d: z.record(z.string(), z.unknown()),
      e: z.array(z.union([z.string(), z.boolean()])).default([]),
      f: z.email(),
    });
    expect(renderSignature(tool("t", schema))).toBe(
      '- t(a: { x: number, y?: string | null }[], b: string | integer, c: "only", d: object, ' +
        "e?: (string | boolean)[] = [], f: string (email)) [LOW]: does t",
    );
    expect(typeOf({})).toBe("any");
  });

  it("shows a catalogue of up to 12 tools whole, whatever the goal", () => {
    const tools = createDefaultTools().slice(0, 12);
    expect(selectTools(tools, { goal: "weather in Oslo" })).toEqual(new Set(tools.map((t) => t.name)));
  });

  it("shows only the tools relevant to the goal of a 40-tool catalogue in full, the rest by name", () => {
    const registry = new ToolRegistry(fortyTools());
    const text = registry.describeForPrompt({
      goal: "What will the weather be in Oslo tomorrow, in Fahrenheit?",
    });
    const full = [...text.matchAll(/^- (\w+)\(/gm)].map((m) => m[1]);
    expect(full).toEqual(expect.arrayContaining(["weather_forecast", "unit_convert"]));
    expect(full.length).toBeLessThanOrEqual(6);
    expect(full).not.toContain("github_create_issue");
    const names = text.split("More tools, by name only")[1] ?? "";
    for (const t of registry.names().filter((n) => !full.includes(n))) expect(names).toContain(t);
    // Far shorter than the whole catalogue in full.
    expect(text.length).toBeLessThan(registry.describeForPrompt().length / 3);
  });

  it("shows pinned tools and the tools it is told to include in full", () => {
    const registry = new ToolRegistry([...fortyTools(), { ...tool("calc", z.object({})), pinned: true }]);
    const text = registry.describeForPrompt({
      goal: "weather in Oslo",
      include: ["slack_post_message", "nope"],
    });
    expect(text).toContain("- calc() [LOW]");
    expect(text).toContain("- slack_post_message(channel: string, text: string) [LOW]");
    expect(text).not.toContain("nope");
  });

  it("shows a tool with effects in full only when the goal names its action; a read-only one as it ranks", () => {
    // The demo's 13 tools (the default ones with send_email instead of http_get).
    const demo = scenarioTools({
      workspace: "/nowhere/workspace",
      outbox: "/nowhere/outbox",
      latency: false,
    });
    expect(demo.length).toBeGreaterThan(12);
    const analyse = selectTools(demo, {
      goal: "Analyse the sales file sales.csv in the workspace and summarise the revenue per region",
    });
    // delete_file matches "file" and "workspace", as read_file does; only the read-only one is shown.
    expect(analyse.has("delete_file")).toBe(false);
    expect(analyse.has("read_file")).toBe(true);
    expect(selectTools(demo, { goal: "Delete the file old.csv from the workspace" }).has("delete_file")).toBe(
      true,
    );
    expect(selectTools(demo, { goal: "Email the totals to the sales team" }).has("send_email")).toBe(true);
    // A tool with effects whose name has no word of its own (github and issue are in github_create_issue)
    // is ranked as any other.
    const shared = [
      ...fortyTools(),
      {
        ...tool("github_issue", z.object({ id: z.number() }), "Closes a github issue by id."),
        risk: "HIGH" as const,
      },
    ];
    expect(selectTools(shared, { goal: "close github issue 42" }).has("github_issue")).toBe(true);
  });

  it("ranks a tool with effects as it matches where no read-only tool shares a word of its name (an MCP server's untiered tools are all HIGH)", () => {
    // Tools an MCP config gives no tier are HIGH: there the tier says nothing about what they do.
    const untiered = fortyTools().map((t) => ({ ...t, risk: "HIGH" as const }));
    // Neither weather tool has "weather" to itself; both left the prompt when held back.
    const weather = selectTools(untiered, { goal: "What will the weather be in Paris tomorrow?" });
    expect(weather).toEqual(new Set(["weather_forecast", "weather_current"]));
    expect(selectTools(untiered, { goal: "Schedule a meeting with Ann and Bob next week" })).toContain(
      "calendar_find_free_slot",
    );
    // With a read-only sibling, the rule holds: an untiered tool beside a LOW one that shares its
    // name's words is held back unless the goal names its own word.
    const mixed = untiered.map((t) => (t.name === "weather_current" ? { ...t, risk: "LOW" as const } : t));
    expect(selectTools(mixed, { goal: "What will the weather be in Paris tomorrow?" })).toEqual(
      new Set(["weather_current"]),
    );
    expect(selectTools(mixed, { goal: "The weather forecast for Paris" })).toContain("weather_forecast");
  });

  it("stems so that an analysis meets analyse and analyze", () => {
    expect(
      new Set(["analysis", "analyse", "analyze", "analyzed", "analyzing", "analyses"].map(stem)),
    ).toEqual(new Set(["analys"]));
  });

  it("stems so that a summary meets summarize and summarise", () => {
    expect(new Set(["summary", "summaries", "summarize", "summarise", "summarized"].map(stem))).toEqual(
      new Set(["summar"]),
    );
    // Every form of the verb: stripping -ize alone left "summarizing" as "summariz", and a goal
    // asking for a summarizing note no longer brought the summarize tool into the prompt.
    const forms = ["summarizing", "summarising", "summarization", "summarisation", "summarizations"];
    expect(new Set(forms.map(stem))).toEqual(new Set(["summar"]));
    expect(new Set(["organize", "organizing", "organization"].map(stem)).size).toBe(1);
    const demo = scenarioTools({
      workspace: "/nowhere/workspace",
      outbox: "/nowhere/outbox",
      latency: false,
    });
    expect(
      selectTools(demo, { goal: "Read report.md and write a short summarizing note" }).has("summarize"),
    ).toBe(true);
  });

  it("ranks by name and description, stemming plurals, and leaves out tools that match nothing", () => {
    const ranked = rankTools(fortyTools(), "list unpaid invoices").map((h) => h.name);
    expect(ranked[0]).toBe("invoice_list_unpaid");
    expect(rankTools(fortyTools(), "zzz qqq")).toEqual([]);
  });
});
