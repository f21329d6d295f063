import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createDefaultTools, ToolRegistry } from "../../src/tools/index.js";
import { rankTools, renderSignature, selectTools, typeOf } from "../../src/tools/prompt.js";
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

  it("ranks by name and description, stemming plurals, and leaves out tools that match nothing", () => {
    const ranked = rankTools(fortyTools(), "list unpaid invoices").map((h) => h.name);
    expect(ranked[0]).toBe("invoice_list_unpaid");
    expect(rankTools(fortyTools(), "zzz qqq")).toEqual([]);
  });
});
