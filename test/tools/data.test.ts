import { copySampleSalesCsv, SAMPLE_SALES_CSV } from "../../src/demo/sample-data.js";
import { mkdtemp, readFile, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createDataTools,
  parseCsv,
  type AnomaliesOutput,
  type DescribeOutput,
  type GroupByOutput,
  type LoadCsvOutput,
} from "../../src/tools/data.js";
import { ToolInputError } from "../../src/tools/types.js";
import { runTool, toolNamed } from "../fixtures/tool-context.js";

let ws: string;

beforeEach(async () => {
  ws = await mkdtemp(path.join(tmpdir(), "pe-data-"));
});

afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

function tools(options: Parameters<typeof createDataTools>[0] = {}) {
  const all = createDataTools({ workspace: ws, ...options });
  return {
    load: toolNamed(all, "load_csv"),
    describe: toolNamed(all, "describe_data"),
    anomalies: toolNamed(all, "find_anomalies"),
    group: toolNamed(all, "group_by"),
  };
}

const ROWS = [
  { city: "A", kind: "x", n: 1, v: 10 },
  { city: "B", kind: "x", n: 2, v: 20 },
  { city: "A", kind: "y", n: 3, v: 30 },
  { city: "C", kind: "y", n: 4, v: null },
];

describe("parseCsv", () => {
  it("casts numbers, keeps text, turns empty cells into null and strips a BOM", async () => {
    const out = await parseCsv("\uFEFFname,qty,price,code\nfoo,3,1.5,007x\nbar,-2,1e3,\n\n", 100);
    expect(out.columns).toEqual(["name", "qty", "price", "code"]);
    expect(out.rows).toEqual([
      { name: "foo", qty: 3, price: 1.5, code: "007x" },
      { name: "bar", qty: -2, price: 1000, code: null },
    ]);
    expect(out).toMatchObject({ rowCount: 2, totalRows: 2, truncated: false });
  });

  it("caps the rows and says so", async () => {
    const out = await parseCsv(`a\n${Array.from({ length: 10 }, (_, i) => i).join("\n")}`, 4);
    expect(out).toMatchObject({ rowCount: 4, totalRows: 10, truncated: true });
    expect(out.rows).toHaveLength(4);
  });

  it("explains malformed CSV", async () => {
    await expect(parseCsv("a,b\n1,2,3\n", 10)).rejects.toThrow(ToolInputError);
    await expect(parseCsv("a,b\n1,2,3\n", 10)).rejects.toThrow(/cannot parse/);
    await expect(parseCsv("", 10)).rejects.toThrow(/empty/);
    await expect(parseCsv("a,a\n1,2\n", 10)).rejects.toThrow(/column "a" twice/);
  });

  it("refuses more columns than the limit", async () => {
    const header = Array.from({ length: 11 }, (_, i) => `c${i}`).join(",");
    await expect(parseCsv(`${header}\n`, 10, "t.csv", { maxColumns: 10 })).rejects.toThrow(
      /t\.csv has 11 columns, over the limit of 10/,
    );
  });

  it("keeps rows up to maxOutputBytes of JSON and counts the rest", async () => {
    const text = `word\n${"abcdefghij\n".repeat(100)}`;
    const out = await parseCsv(text, 1000, "t.csv", { maxOutputBytes: 200 });
    // {"word":"abcdefghij"} is 21 bytes, plus a comma: 9 rows fit in 200 bytes with the brackets.
    expect(out).toMatchObject({ rowCount: 9, totalRows: 100, truncated: true });
    expect(JSON.stringify(out.rows).length).toBeLessThanOrEqual(200);
  });
});

describe("data tools", () => {
  it("are LOW-risk with timeouts", () => {
    for (const tool of Object.values(tools())) {
      expect(tool.risk).toBe("LOW");
      expect(tool.timeoutMs).toBeGreaterThan(0);
    }
  });

  it("load_csv reads a workspace file", async () => {
    await writeFile(path.join(ws, "t.csv"), "city,n\nA,1\nB,2\n");
    const out = (await runTool(tools().load, { path: "t.csv" })) as LoadCsvOutput;
    expect(out).toEqual({
      path: "t.csv",
      columns: ["city", "n"],
      rows: [
        { city: "A", n: 1 },
        { city: "B", n: 2 },
      ],
      rowCount: 2,
      totalRows: 2,
      truncated: false,
    });
  });

  it("load_csv is confined to the workspace like the file tools", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "pe-data-out-"));
    try {
      await writeFile(path.join(outside, "s.csv"), "secret\n42\n");
      await symlink(path.join(outside, "s.csv"), path.join(ws, "link.csv"));
      const { load } = tools();
      await expect(runTool(load, { path: "link.csv" })).rejects.toThrow(/outside the workspace/);
      await expect(runTool(load, { path: "../s.csv" })).rejects.toThrow(ToolInputError);
      await expect(runTool(load, { path: path.join(outside, "s.csv") })).rejects.toThrow(/absolute/);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("load_csv on a generated 4.8 MB file of 2.4 million rows keeps 10,000 and counts the rest", async () => {
    // Parsed whole, this file's records took ~670 MB of RSS (2 s); streamed, the rows kept are all it holds.
    await writeFile(path.join(ws, "tall.csv"), `n\n${"1\n".repeat(2_400_000)}`);
    const before = process.resourceUsage().maxRSS * 1024;
    const out = (await runTool(tools().load, { path: "tall.csv" })) as LoadCsvOutput;
    const growth = process.resourceUsage().maxRSS * 1024 - before;
    expect(out).toMatchObject({ rowCount: 10_000, totalRows: 2_400_000, truncated: true });
    expect(growth).toBeLessThan(250 * 1024 * 1024);
  });

  it("load_csv returns at most maxOutputBytes of rows (default 1 MB); the analysis tools still see every row", async () => {
    // 5,000 rows of ~230 bytes each as JSON: 1.1 MB, over the default output cap, under the row cap.
    const long = "x".repeat(200);
    await writeFile(
      path.join(ws, "wide.csv"),
      `id,text\n${Array.from({ length: 5_000 }, (_, i) => `${i},${long}`).join("\n")}`,
    );
    const out = (await runTool(tools().load, { path: "wide.csv" })) as LoadCsvOutput;
    expect(out.truncated).toBe(true);
    expect(out.totalRows).toBe(5_000);
    expect(out.rowCount).toBeLessThan(5_000);
    expect(JSON.stringify(out.rows).length).toBeLessThanOrEqual(1_000_000);
    const described = (await runTool(tools().describe, { path: "wide.csv" })) as DescribeOutput;
    expect(described.rowCount).toBe(5_000);
  });

  it("load_csv refuses a generated 50 MB file without reading it, naming the limit", async () => {
    const file = path.join(ws, "huge.csv");
    await writeFile(file, "n\n");
    await truncate(file, 50_000_000); // sparse: no 50 MB written to disk
    const before = process.resourceUsage().maxRSS * 1024;
    await expect(runTool(tools().load, { path: "huge.csv" })).rejects.toThrow(
      /"huge\.csv" is 50000000 bytes, over the limit of 5000000 bytes/,
    );
    expect(process.resourceUsage().maxRSS * 1024 - before).toBeLessThan(20 * 1024 * 1024);
  });

  it("load_csv refuses a file over its size limit", async () => {
    await writeFile(path.join(ws, "big.csv"), `a\n${"1\n".repeat(1000)}`);
    await expect(runTool(tools({ maxFileBytes: 500 }).load, { path: "big.csv" })).rejects.toThrow(
      /over the limit of 500 bytes/,
    );
  });

  it("the analysis tools take rows or a path, exactly one", async () => {
    await writeFile(path.join(ws, "t.csv"), "city,kind,n,v\nA,x,1,10\nB,x,2,20\nA,y,3,30\nC,y,4,\n");
    const { describe: d, group } = tools();
    const fromRows = await runTool(d, { rows: ROWS });
    const fromPath = await runTool(d, { path: "t.csv" });
    expect(fromPath).toEqual(fromRows);
    expect(d.schema.safeParse({}).success).toBe(false);
    expect(d.schema.safeParse({ path: "t.csv", rows: ROWS }).success).toBe(false);
    expect(group.schema.safeParse({ rows: ROWS, by: "city", extra: 1 }).success).toBe(false);
  });

  it("the analysis tools refuse a file with more rows than the cap", async () => {
    await writeFile(path.join(ws, "t.csv"), "n\n1\n2\n3\n");
    await expect(runTool(tools({ maxRows: 2 }).describe, { path: "t.csv" })).rejects.toThrow(
      /over the limit of 2/,
    );
    expect(tools({ maxRows: 2 }).describe.schema.safeParse({ rows: ROWS }).success).toBe(false);
  });

  it("describe_data gives count, mean, sample std, min, quartiles and max of numeric columns", async () => {
    const out = (await runTool(tools().describe, { rows: ROWS })) as DescribeOutput;
    expect(out.rowCount).toBe(4);
    expect(out.numeric.n).toEqual({
      count: 4,
      mean: 2.5,
      std: 1.291,
      min: 1,
      q1: 1.75,
      median: 2.5,
      q3: 3.25,
      max: 4,
    });
    // Quartiles interpolate linearly between order statistics, as numpy and pandas do by default.
    // Nulls are skipped.
    expect(out.numeric.v).toMatchObject({ count: 3, mean: 20, std: 10, min: 10, max: 30 });
    expect(out.categorical.city).toEqual({ count: 4, distinct: 3, top: "A", topCount: 2 });
    const only = (await runTool(tools().describe, { rows: ROWS, columns: ["n"] })) as DescribeOutput;
    expect(Object.keys(only.numeric)).toEqual(["n"]);
    await expect(runTool(tools().describe, { rows: ROWS, columns: ["nope"] })).rejects.toThrow(
      /no column "nope"; the columns are city, kind, n, v/,
    );
  });

  it("find_anomalies flags values beyond 3 standard deviations, per column or all", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, a: 10 + (i % 3), b: 5 }));
    rows[7] = { id: "r7", a: 100, b: 5 };
    const out = (await runTool(tools().anomalies, { rows })) as AnomaliesOutput;
    expect(out.count).toBe(1);
    expect(out.anomalies[0]).toMatchObject({ index: 7, column: "a", value: 100, row: { id: "r7" } });
    expect(out.anomalies[0]?.zScore).toBeGreaterThan(3);
    // A constant column has no anomalies (std 0).
    expect(out.columns.b).toMatchObject({ mean: 5, std: 0 });
    const none = (await runTool(tools().anomalies, { rows, column: "b" })) as AnomaliesOutput;
    expect(none.count).toBe(0);
    const calm = rows.filter((r) => r.id !== "r7");
    const loose = (await runTool(tools().anomalies, { rows: calm, threshold: 1 })) as AnomaliesOutput;
    expect(loose.count).toBeGreaterThan(1);
    await expect(runTool(tools().anomalies, { rows, column: "id" })).rejects.toThrow(
      /column "id" is not numeric/,
    );
  });

  it("group_by aggregates sum, mean, count, min and max, largest first", async () => {
    const g = (args: Record<string, unknown>) =>
      runTool(tools().group, { rows: ROWS, by: "city", ...args }) as Promise<GroupByOutput>;
    expect((await g({ value: "n" })).groups).toEqual([
      { key: "A", value: 4, count: 2, share: 0.4 },
      { key: "C", value: 4, count: 1, share: 0.4 },
      { key: "B", value: 2, count: 1, share: 0.2 },
    ]);
    expect((await g({ value: "n", agg: "mean" })).groups.map((x) => [x.key, x.value])).toEqual([
      ["C", 4],
      ["A", 2],
      ["B", 2],
    ]);
    expect((await g({ agg: "count" })).groups.map((x) => [x.key, x.value])).toEqual([
      ["A", 2],
      ["B", 1],
      ["C", 1],
    ]);
    expect((await g({ value: "n", agg: "min" })).groups.map((x) => x.value)).toEqual([4, 2, 1]);
    expect((await g({ value: "n", agg: "max" })).groups.map((x) => x.value)).toEqual([4, 3, 2]);
    await expect(g({ agg: "sum" })).rejects.toThrow(/needs a value column/);
    await expect(g({ value: "city" })).rejects.toThrow(/not numeric/);
    await expect(g({ by: "nope", value: "n" })).rejects.toThrow(/no column "nope"/);
  });

  it("group_by puts rows without a key under (missing)", async () => {
    const out = (await runTool(tools().group, {
      rows: [
        { k: null, v: 1 },
        { k: "a", v: 2 },
      ],
      by: "k",
      value: "v",
    })) as GroupByOutput;
    expect(out.groups.map((x) => x.key)).toEqual(["a", "(missing)"]);
  });
});

describe("the sample sales CSV", () => {
  it("copies into the workspace and finds exactly the 3 planted anomalous rows", async () => {
    expect(await copySampleSalesCsv(ws)).toBe("sales.csv");
    expect(await readFile(path.join(ws, "sales.csv"), "utf8")).toBe(await readFile(SAMPLE_SALES_CSV, "utf8"));
    const { load, anomalies, group } = tools();
    const loaded = (await runTool(load, { path: "sales.csv" })) as LoadCsvOutput;
    expect(loaded.columns).toEqual(["region", "product", "month", "units", "revenue"]);
    expect(loaded.rowCount).toBe(192);
    const found = (await runTool(anomalies, { rows: loaded.rows })) as AnomaliesOutput;
    const flagged = new Set(found.anomalies.map((a) => `${a.row.region}/${a.row.product}/${a.row.month}`));
    expect([...flagged].sort()).toEqual([
      "East/Gizmo/2024-08",
      "North/Gadget/2024-06",
      "West/Sprocket/2024-11",
    ]);
    const regions = (await runTool(group, {
      rows: loaded.rows,
      by: "region",
      value: "revenue",
    })) as GroupByOutput;
    expect(regions.groups.map((x) => x.key)).toEqual(["West", "East", "North", "South"]);
  });
});
