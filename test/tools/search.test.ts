import { describe, expect, it } from "vitest";
import { createSearchTool, searchTool, type CorpusDoc, type SearchOutput } from "../../src/tools/search.js";
import type { ToolContext } from "../../src/tools/types.js";

const ctx: ToolContext = {
  signal: new AbortController().signal,
  idempotencyKey: "t:s",
  step: { id: "s", description: "", tool: "x", args: {}, depends_on: [], expected_output: "" },
  dependencies: [],
  model: {} as never,
  goal: "",
  reportUsage: () => {},
};

const search = (query: string, limit = 3) => searchTool.run({ query, limit }, ctx) as Promise<SearchOutput>;

describe("searchTool over the bundled corpus", () => {
  it("declares itself as a low-risk tool named search", () => {
    expect(searchTool.name).toBe("search");
    expect(searchTool.risk).toBe("LOW");
  });

  it.each([
    ["NVIDIA revenue fiscal 2024", "revenue_usd_billion", 60.92],
    ["AMD revenue 2024", "revenue_usd_billion", 25.79],
    ["federal income tax 150000 salary single filer", "federal_income_tax_usd", 25538.5],
    ["FICA payroll tax 150000 salary", "fica_tax_usd", 11475],
    ["California state income tax 150000 San Francisco", "state_income_tax_usd", 10492],
    ["Texas state income tax Austin", "state_income_tax_usd", 0],
    ["Austin population", "population", 979882],
    ["Austin land area square miles", "land_area_sq_mi", 319.9],
  ])("ranks the right document first for %j", async (query, key, value) => {
    const out = await search(query);
    expect(out.query).toBe(query);
    expect(out.results[0]?.facts[key]).toBe(value);
  });

  it("puts the wanted revenue figure first in the top hit's text", async () => {
    const nvidia = await search("NVIDIA revenue fiscal 2024");
    expect(nvidia.results[0]?.text.match(/\$([\d.]+) billion/)?.[1]).toBe("60.92");
    expect(JSON.stringify(nvidia).match(/\$([\d.]+) billion/)?.[1]).toBe("60.92");
    const amd = await search("AMD revenue 2024");
    expect(amd.results[0]?.text.match(/\$([\d.]+) billion/)?.[1]).toBe("25.79");
    expect(JSON.stringify(amd).match(/\$([\d.]+) billion/)?.[1]).toBe("25.79");
  });

  it("returns results in the documented shape, best first, scores to 3 decimals", async () => {
    const out = await search("Austin population", 5);
    expect(out.results.length).toBeGreaterThan(1);
    for (const r of out.results) {
      expect(Object.keys(r).sort()).toEqual(["facts", "id", "score", "source", "text", "title"]);
      expect(Math.round(r.score * 1000) / 1000).toBe(r.score);
      expect(r.source).not.toBe("");
    }
    const scores = out.results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it("honours the limit", async () => {
    expect((await search("revenue", 1)).results).toHaveLength(1);
    expect((await search("revenue", 5)).results).toHaveLength(5);
  });

  it("matches numbers written with thousands separators", async () => {
    const out = await search("979882");
    expect(out.results[0]?.id).toBe("austin-population");
  });

  it("matches a percentage by its number", async () => {
    const out = await search("6.25");
    expect(out.results[0]?.id).toBe("tx-sales-tax");
  });

  it("returns no results, without throwing, when nothing matches; the output counts as empty", async () => {
    const out = await search("zzqqxx");
    expect(out).toEqual({ query: "zzqqxx", results: [] });
    expect(searchTool.isEmptyOutput?.(out)).toBe(true);
    expect(searchTool.isEmptyOutput?.(await search("Austin population"))).toBe(false);
  });

  it("applies the schema default limit of 3 and rejects bad args", () => {
    expect(searchTool.schema.parse({ query: "AMD" })).toEqual({ query: "AMD", limit: 3 });
    expect(searchTool.schema.safeParse({ query: "" }).success).toBe(false);
    expect(searchTool.schema.safeParse({ query: "AMD", limit: 11 }).success).toBe(false);
    expect(searchTool.schema.safeParse({ query: "AMD", limit: 1.5 }).success).toBe(false);
    expect(searchTool.schema.safeParse({ query: "AMD", extra: 1 }).success).toBe(false);
  });
});

describe("createSearchTool", () => {
  const docs: CorpusDoc[] = [
    {
      id: "a",
      title: "Blue widgets",
      text: "A blue widget costs $12.",
      source: "catalog",
      facts: { price_usd: 12 },
    },
    {
      id: "b",
      title: "Red gadgets",
      text: "A red gadget costs $30.",
      source: "catalog",
      facts: { price_usd: 30 },
    },
  ];

  it("searches the corpus it is given", async () => {
    const tool = createSearchTool(docs);
    const out = (await tool.run({ query: "red gadget price", limit: 3 }, ctx)) as SearchOutput;
    expect(out.results[0]).toMatchObject({
      id: "b",
      title: "Red gadgets",
      source: "catalog",
      facts: { price_usd: 30 },
    });
    const none = (await tool.run({ query: "NVIDIA revenue", limit: 3 }, ctx)) as SearchOutput;
    expect(none.results).toEqual([]);
    expect(tool.isEmptyOutput?.(none)).toBe(true);
  });
});
