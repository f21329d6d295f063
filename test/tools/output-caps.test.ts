/**
 * Each built-in tool bounds what it returns and says when it cut something. (The calculator's,
 * load_csv's and http_get's caps are tested with those tools.)
 */
import { describe, expect, it } from "vitest";
import { ScriptedChatModel } from "../../src/testing/scripted.js";
import { createDataTools, findAnomalies, groupRows, type Row } from "../../src/tools/data.js";
import { llmTool } from "../../src/tools/llm.js";
import { createSearchTool, type SearchOutput } from "../../src/tools/search.js";
import { summarizeTool } from "../../src/tools/summarize.js";
import { mapWebSearchOutput } from "../../src/tools/web-search.js";
import { runTool, toolContext, toolNamed } from "../fixtures/tool-context.js";

const NOTICE = /… \[truncated: (\d+) of (\d+) characters\]$/;

describe("output caps", () => {
  it("search: a result's text is cut at 4,000 characters and its title at 500, with a notice", async () => {
    const search = createSearchTool([
      {
        id: "long",
        title: `widgets ${"t".repeat(1_000)}`,
        text: `widgets ${"x".repeat(20_000)}`,
        source: "s",
        facts: {},
      },
    ]);
    const out = (await runTool(search, { query: "widgets" })) as SearchOutput;
    const [hit] = out.results;
    expect(hit?.text.match(NOTICE)?.slice(1)).toEqual(["4000", "20008"]);
    expect(hit?.text.length).toBeLessThan(4_100);
    expect(hit?.title.match(NOTICE)?.slice(1)).toEqual(["500", "1008"]);
  });

  it("web search: the same caps on a provider's result", () => {
    const out = mapWebSearchOutput(
      "q",
      {
        results: [
          { title: "a".repeat(600), url: "https://x.example/", content: "b".repeat(50_000), score: 1 },
        ],
      },
      3,
    );
    expect(out.results[0]?.text.match(NOTICE)?.slice(1)).toEqual(["4000", "50000"]);
    expect(out.results[0]?.title.match(NOTICE)?.slice(1)).toEqual(["500", "600"]);
  });

  it("llm: an answer over 50,000 characters is cut with a notice; a short JSON answer is still an object", async () => {
    const long = `{"notes": "${"y".repeat(60_000)}"}`;
    const model = new ScriptedChatModel({ replies: [long, '{"total": 3}'] });
    const ctx = toolContext({ model });
    const cut = (await runTool(llmTool, {}, ctx)) as string;
    expect(cut.match(NOTICE)?.slice(1)).toEqual(["50000", String(long.length)]);
    await expect(runTool(llmTool, {}, ctx)).resolves.toEqual({ total: 3 });
  });

  it("summarize: a summary over 20,000 characters is cut with a notice", async () => {
    const model = new ScriptedChatModel({ replies: ["z".repeat(30_000)] });
    const out = (await runTool(summarizeTool, { text: "material" }, toolContext({ model }))) as string;
    expect(out.match(NOTICE)?.slice(1)).toEqual(["20000", "30000"]);
  });

  it("find_anomalies: lists the 100 largest, counts them all", () => {
    // 1,000 rows at 0 and 200 outliers, alternating sign: 200 anomalies at threshold 1.
    const rows: Row[] = [
      ...Array.from({ length: 1_000 }, () => ({ v: 0 })),
      ...Array.from({ length: 200 }, (_, i) => ({ v: (i % 2 ? -1 : 1) * (100 + i) })),
    ];
    const out = findAnomalies(rows, 1);
    expect(out).toMatchObject({ count: 200, truncated: true });
    expect(out.anomalies).toHaveLength(100);
    expect(Math.abs(out.anomalies[0]?.value ?? 0)).toBe(299);
    expect(findAnomalies(rows.slice(0, 1_010), 1)).toMatchObject({ count: 10, truncated: false });
  });

  it("group_by: lists the 1,000 largest groups, counts them all; shares are of the full total", () => {
    const rows: Row[] = Array.from({ length: 2_000 }, (_, i) => ({ k: `g${i}`, v: i + 1 }));
    const out = groupRows(rows, "k", "sum", "v");
    expect(out).toMatchObject({ totalGroups: 2_000, truncated: true });
    expect(out.groups).toHaveLength(1_000);
    expect(out.groups[0]).toMatchObject({ key: "g1999", value: 2_000 });
    const total = (2_000 * 2_001) / 2;
    expect(out.groups[0]?.share).toBe(Math.round((2_000 / total) * 10_000) / 10_000);
  });

  it("describe_data: refuses rows with more columns than a CSV may have", async () => {
    const describe = toolNamed(
      createDataTools({ workspace: "/tmp/unused-ws", maxColumns: 5 }),
      "describe_data",
    );
    const row = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`c${i}`, i]));
    await expect(runTool(describe, { rows: [row] })).rejects.toThrow(
      /the rows have 6 columns, over the limit of 5/,
    );
  });
});
