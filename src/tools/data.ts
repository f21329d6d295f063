import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { mean, quantile, sampleStandardDeviation } from "simple-statistics";
import { z } from "zod";
import { Workspace } from "./files.js";
import { ToolInputError, type PlanTool } from "./types.js";

/** One value of a table: CSV cells that look like numbers are numbers, empty cells are null. */
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface DataToolOptions {
  /** The folder `path` arguments are read from. Default `.plan-execute/workspace`. */
  workspace?: string;
  /** Most rows load_csv returns and the other tools accept. Default 10,000. */
  maxRows?: number;
  /** Largest CSV file the tools read; a larger one is refused before it is read. Default 5 MB. */
  maxFileBytes?: number;
  /** Most columns a CSV file may have. Default 1000. */
  maxColumns?: number;
  /** Most bytes of rows (as JSON) load_csv returns; the rows past it are counted, not returned. Default 1 MB. */
  maxOutputBytes?: number;
}

export interface LoadCsvOutput {
  path: string;
  columns: string[];
  rows: Row[];
  /** Rows returned (at most the row cap). */
  rowCount: number;
  /** Rows in the file. */
  totalRows: number;
  truncated: boolean;
}

export interface ColumnStats {
  count: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  std: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

export interface CategoryStats {
  count: number;
  distinct: number;
  top: string;
  topCount: number;
}

export interface DescribeOutput {
  rowCount: number;
  numeric: Record<string, ColumnStats>;
  categorical: Record<string, CategoryStats>;
}

export interface Anomaly {
  /** 0-based index of the row in the data. */
  index: number;
  column: string;
  value: number;
  zScore: number;
  row: Row;
}

export interface AnomaliesOutput {
  threshold: number;
  columns: Record<string, { mean: number; std: number; lower: number; upper: number }>;
  /** The largest anomalies, at most the cap (default 100). */
  anomalies: Anomaly[];
  /** Anomalies found, returned or not. */
  count: number;
  /** True when `count` is over the cap and only the largest are in `anomalies`. */
  truncated: boolean;
}

export const AGGREGATIONS = ["sum", "mean", "count", "min", "max"] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export interface GroupByOutput {
  by: string;
  value: string | null;
  agg: Aggregation;
  /** The groups with the largest values, at most the cap (default 1000). */
  groups: { key: string; value: number; count: number; share?: number }[];
  /** Groups found, returned or not. */
  totalGroups: number;
  /** True when `totalGroups` is over the cap. */
  truncated: boolean;
}

/** Anomalies find_anomalies returns (each carries its whole row); the largest first. */
const DEFAULT_MAX_ANOMALIES = 100;
/** Groups group_by returns; the largest first. */
const DEFAULT_MAX_GROUPS = 1000;

/** Longest record (line) a CSV may have, in characters. */
const MAX_RECORD_CHARS = 1_000_000;

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** A CSV cell as data: numbers cast, empty cells null, everything else text. */
function castCell(raw: string): Cell {
  if (raw === "") return null;
  if (NUMBER.test(raw)) {
    const n = Number(raw);
    if (Number.isFinite(n)) return n;
  }
  return raw;
}

const round = (x: number, digits = 4) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export interface CsvLimits {
  /** Most columns a table may have. Default 1000. */
  maxColumns?: number;
  /** Most bytes the kept rows may take as JSON; further rows are counted, not kept. Default no limit. */
  maxOutputBytes?: number;
}

/**
 * Parses CSV text with a header row into column names and row objects. Only the first `maxRows`
 * rows (and no more than `maxOutputBytes` of them as JSON) are kept; the rest are counted as they
 * stream past, so memory stays bounded by the rows kept, not by the rows in the file.
 */
export async function parseCsv(
  text: string,
  maxRows: number,
  name = "the CSV",
  limits: CsvLimits = {},
): Promise<Omit<LoadCsvOutput, "path">> {
  const maxColumns = limits.maxColumns ?? 1000;
  const maxOutputBytes = limits.maxOutputBytes ?? Infinity;
  let columns: string[] | undefined;
  const rows: Row[] = [];
  let totalRows = 0;
  let bytes = 2; // "[]"
  let full = false;
  const onRecord = (record: string[]): void => {
    if (!columns) {
      if (record.length > maxColumns) {
        throw new ToolInputError(`${name} has ${record.length} columns, over the limit of ${maxColumns}`);
      }
      columns = record.map((c, i) => c || `column_${i + 1}`);
      const duplicate = columns.find((c, i) => columns?.indexOf(c) !== i);
      if (duplicate !== undefined) throw new ToolInputError(`${name} has the column "${duplicate}" twice`);
      return;
    }
    totalRows++;
    if (full) return;
    const header = columns;
    const row = Object.fromEntries(header.map((c, i) => [c, castCell(record[i] ?? "")]));
    const size = Number.isFinite(maxOutputBytes) ? Buffer.byteLength(JSON.stringify(row)) + 1 : 0;
    if (rows.length >= maxRows || bytes + size > maxOutputBytes) full = true;
    else {
      rows.push(row);
      bytes += size;
    }
  };
  // Streamed record by record (csv-parse's sync API would hold every record of the file at once).
  // Loaded on first use: an agent that never reads a CSV never loads the parser.
  const { parse } = await import("csv-parse");
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    // One record (a line, or a quoted field across lines) may not hold the whole file hostage.
    max_record_size: MAX_RECORD_CHARS,
  });
  parser.on("data", (record: string[]) => {
    try {
      onRecord(record);
    } catch (err) {
      parser.destroy(err as Error);
    }
  });
  try {
    await pipeline(Readable.from(chunks(Buffer.from(text, "utf8"))), parser);
  } catch (err) {
    if (err instanceof ToolInputError) throw err;
    throw new ToolInputError(`cannot parse ${name}: ${(err as Error).message}`);
  }
  if (!columns) throw new ToolInputError(`${name} is empty: expected a header row`);
  return {
    columns,
    rows,
    rowCount: rows.length,
    totalRows,
    truncated: totalRows > rows.length,
  };
}

function* chunks(buffer: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let at = 0; at < buffer.length; at += size) yield buffer.subarray(at, at + size);
}

/** Numbers of a column, or an error naming the first value that is not one. Nulls are skipped. */
function numericValues(rows: Row[], column: string): number[] {
  const values: number[] = [];
  for (const [i, row] of rows.entries()) {
    const v = row[column];
    if (v === null || v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ToolInputError(`column "${column}" is not numeric (row ${i}: ${JSON.stringify(v)})`);
    }
    values.push(v);
  }
  return values;
}

function columnsOf(rows: Row[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

function isNumericColumn(rows: Row[], column: string): boolean {
  let any = false;
  for (const row of rows) {
    const v = row[column];
    if (v === null || v === undefined) continue;
    if (typeof v !== "number") return false;
    any = true;
  }
  return any;
}

function requireColumn(rows: Row[], column: string): void {
  const columns = columnsOf(rows);
  if (!columns.includes(column)) {
    throw new ToolInputError(`no column "${column}"; the columns are ${columns.join(", ") || "(none)"}`);
  }
}

function stats(values: number[]): ColumnStats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: values.length,
    mean: round(mean(values)),
    std: round(values.length > 1 ? sampleStandardDeviation(values) : 0),
    min: sorted[0] ?? NaN,
    q1: round(quantile(sorted, 0.25)),
    median: round(quantile(sorted, 0.5)),
    q3: round(quantile(sorted, 0.75)),
    max: sorted.at(-1) ?? NaN,
  };
}

function categoryStats(rows: Row[], column: string): CategoryStats {
  const counts = new Map<string, number>();
  let count = 0;
  for (const row of rows) {
    const v = row[column];
    if (v === null || v === undefined) continue;
    count++;
    counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  }
  let top = "";
  let topCount = 0;
  for (const [value, n] of counts) {
    if (n > topCount) [top, topCount] = [value, n];
  }
  return { count, distinct: counts.size, top, topCount };
}

/** Summary statistics of the numeric columns, and counts of the others. */
export function describeRows(rows: Row[], only?: string[]): DescribeOutput {
  for (const c of only ?? []) requireColumn(rows, c);
  const numeric: Record<string, ColumnStats> = {};
  const categorical: Record<string, CategoryStats> = {};
  for (const column of only ?? columnsOf(rows)) {
    if (isNumericColumn(rows, column)) numeric[column] = stats(numericValues(rows, column));
    else categorical[column] = categoryStats(rows, column);
  }
  return { rowCount: rows.length, numeric, categorical };
}

/** Values more than `threshold` sample standard deviations from their column's mean. */
export function findAnomalies(
  rows: Row[],
  threshold = 3,
  column?: string,
  maxAnomalies = DEFAULT_MAX_ANOMALIES,
): AnomaliesOutput {
  let columns: string[];
  if (column !== undefined) {
    requireColumn(rows, column);
    numericValues(rows, column);
    columns = [column];
  } else {
    columns = columnsOf(rows).filter((c) => isNumericColumn(rows, c));
  }
  const summary: AnomaliesOutput["columns"] = {};
  const anomalies: Anomaly[] = [];
  for (const c of columns) {
    const values = numericValues(rows, c);
    if (values.length === 0) continue;
    const m = mean(values);
    const sd = values.length > 1 ? sampleStandardDeviation(values) : 0;
    summary[c] = {
      mean: round(m),
      std: round(sd),
      lower: round(m - threshold * sd),
      upper: round(m + threshold * sd),
    };
    if (sd === 0) continue;
    for (const [index, row] of rows.entries()) {
      const v = row[c];
      if (typeof v !== "number") continue;
      const z = (v - m) / sd;
      if (Math.abs(z) > threshold) anomalies.push({ index, column: c, value: v, zScore: round(z, 2), row });
    }
  }
  anomalies.sort((a, b) => Math.abs(b.zScore) - Math.abs(a.zScore));
  return {
    threshold,
    columns: summary,
    anomalies: anomalies.slice(0, maxAnomalies),
    count: anomalies.length,
    truncated: anomalies.length > maxAnomalies,
  };
}

/** Groups rows by one column and aggregates another; groups sorted by the aggregate, largest first. */
export function groupRows(
  rows: Row[],
  by: string,
  agg: Aggregation,
  value?: string,
  maxGroups = DEFAULT_MAX_GROUPS,
): GroupByOutput {
  requireColumn(rows, by);
  if (agg !== "count" && value === undefined) {
    throw new ToolInputError(`"${agg}" needs a value column to aggregate; only "count" works without one`);
  }
  if (value !== undefined) {
    requireColumn(rows, value);
    numericValues(rows, value);
  }
  const groups = new Map<string, { values: number[]; count: number }>();
  for (const row of rows) {
    const raw = row[by];
    const key = raw === null || raw === undefined ? "(missing)" : String(raw);
    const group = groups.get(key) ?? { values: [], count: 0 };
    group.count++;
    const v = value === undefined ? undefined : row[value];
    if (typeof v === "number") group.values.push(v);
    groups.set(key, group);
  }
  const aggregate = ({ values, count }: { values: number[]; count: number }): number => {
    if (agg === "count") return count;
    if (values.length === 0) return NaN;
    if (agg === "sum") return values.reduce((a, b) => a + b, 0);
    if (agg === "mean") return mean(values);
    return agg === "min" ? Math.min(...values) : Math.max(...values);
  };
  const result = [...groups].map(([key, g]) => ({ key, value: round(aggregate(g), 2), count: g.count }));
  result.sort((a, b) => b.value - a.value || a.key.localeCompare(b.key));
  if (agg === "sum" || agg === "count") {
    const total = result.reduce((s, g) => s + g.value, 0);
    if (total !== 0) for (const g of result) Object.assign(g, { share: round(g.value / total, 4) });
  }
  return {
    by,
    value: value ?? null,
    agg,
    groups: result.slice(0, maxGroups),
    totalGroups: result.length,
    truncated: result.length > maxGroups,
  };
}

const CellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

function sourceFields(maxRows: number) {
  return {
    path: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe("A CSV file in the workspace, e.g. 'sales.csv'. Give either path or rows."),
    rows: z
      .array(z.record(z.string(), CellSchema))
      .max(maxRows)
      .optional()
      .describe(
        "The rows themselves as objects, usually '{{step_id.output.rows}}' of a load_csv step. Give either path or rows.",
      ),
  };
}

function exactlyOneSource(args: { path?: string; rows?: unknown[] }, ctx: z.RefinementCtx): void {
  if ((args.path === undefined) === (args.rows === undefined)) {
    ctx.addIssue({ code: "custom", message: "give exactly one of path or rows", path: [] });
  }
}

const ColumnName = z.string().min(1).max(200);

/** `load_csv`, `describe_data`, `find_anomalies` and `group_by` over workspace CSV files or rows. */
export function createDataTools(options: DataToolOptions = {}) {
  const workspace = new Workspace(options.workspace);
  const maxRows = options.maxRows ?? 10_000;
  const maxFileBytes = options.maxFileBytes ?? 5_000_000;
  const maxColumns = options.maxColumns ?? 1000;
  const maxOutputBytes = options.maxOutputBytes ?? 1_000_000;

  /** Reads and parses a workspace CSV; `maxBytes` caps the rows kept, for an output that returns them. */
  const load = async (file: string, maxBytes = Infinity) => {
    const { rel, text } = await workspace.readText(file, maxFileBytes);
    return {
      path: rel,
      ...(await parseCsv(text, maxRows, JSON.stringify(rel), { maxColumns, maxOutputBytes: maxBytes })),
    };
  };
  const rowsOf = async (args: { path?: string; rows?: Row[] }): Promise<Row[]> => {
    if (args.rows) {
      // Every column gets an entry in the output: as many columns as a CSV file may have.
      const columns = columnsOf(args.rows).length;
      if (columns > maxColumns) {
        throw new ToolInputError(`the rows have ${columns} columns, over the limit of ${maxColumns}`);
      }
      return args.rows;
    }
    if (args.path === undefined) throw new ToolInputError("give exactly one of path or rows");
    // The rows are analysed here, not returned: no output cap, only the row cap.
    const loaded = await load(args.path);
    if (loaded.truncated) {
      throw new ToolInputError(`${args.path} has ${loaded.totalRows} rows, over the limit of ${maxRows}`);
    }
    return loaded.rows;
  };

  const LoadArgs = z
    .object({
      path: z.string().min(1).max(500).describe("The CSV file, relative to the workspace, e.g. 'sales.csv'."),
    })
    .strict();
  const loadCsv: PlanTool<z.output<typeof LoadArgs>> = {
    name: "load_csv",
    description:
      `Load a CSV file with a header row from the workspace. Returns { path, columns, rows, rowCount, totalRows, ` +
      `truncated }: rows are objects keyed by column, numbers cast to numbers, empty cells null (at most ${maxRows} ` +
      `rows and ${maxOutputBytes} bytes of them; truncated is true when the file has more, totalRows says how many). ` +
      `Files over ${maxFileBytes} bytes or ${maxColumns} columns are refused.`,
    schema: LoadArgs,
    risk: "LOW",
    timeoutMs: 15_000,
    isEmptyOutput: (output) => (output as LoadCsvOutput).columns.length === 0,
    run: (args) => load(args.path, maxOutputBytes),
  };

  const DescribeArgs = z
    .object({
      ...sourceFields(maxRows),
      columns: z
        .array(ColumnName)
        .max(100)
        .optional()
        .describe("Only these columns; all columns when omitted."),
    })
    .strict()
    .superRefine(exactlyOneSource);
  const describeData: PlanTool<z.output<typeof DescribeArgs>> = {
    name: "describe_data",
    description:
      "Summary statistics of tabular data: for each numeric column count, mean, std (sample), min, q1, median, q3, " +
      "max; for the other columns count, distinct values and the most frequent one. Returns { rowCount, numeric, categorical }.",
    schema: DescribeArgs,
    risk: "LOW",
    timeoutMs: 15_000,
    async run(args) {
      return describeRows(await rowsOf(args), args.columns);
    },
  };

  const AnomalyArgs = z
    .object({
      ...sourceFields(maxRows),
      column: ColumnName.optional().describe(
        "The numeric column to check; every numeric column when omitted.",
      ),
      threshold: z
        .number()
        .min(1)
        .max(10)
        .default(3)
        .describe("How many standard deviations from the column mean count as an anomaly (default 3)."),
    })
    .strict()
    .superRefine(exactlyOneSource);
  const findAnomaliesTool: PlanTool<z.output<typeof AnomalyArgs>> = {
    name: "find_anomalies",
    description:
      "Find values more than `threshold` (default 3) standard deviations from their column's mean, in one numeric " +
      "column or all of them. Returns { threshold, columns: { name: { mean, std, lower, upper } }, anomalies: " +
      `[{ index, column, value, zScore, row }], count, truncated }, largest |zScore| first: at most ` +
      `${DEFAULT_MAX_ANOMALIES} anomalies are listed (count says how many there are).`,
    schema: AnomalyArgs,
    risk: "LOW",
    timeoutMs: 15_000,
    async run(args) {
      return findAnomalies(await rowsOf(args), args.threshold, args.column);
    },
  };

  const GroupArgs = z
    .object({
      ...sourceFields(maxRows),
      by: ColumnName.describe("The column to group by, e.g. 'region'."),
      value: ColumnName.optional().describe(
        "The numeric column to aggregate, e.g. 'revenue'. Not needed for agg 'count'.",
      ),
      agg: z
        .enum(AGGREGATIONS)
        .default("sum")
        .describe("How to aggregate the value column per group: sum (default), mean, count, min or max."),
    })
    .strict()
    .superRefine(exactlyOneSource);
  const groupBy: PlanTool<z.output<typeof GroupArgs>> = {
    name: "group_by",
    description:
      "Group rows by one column and aggregate another (sum, mean, count, min, max). Returns { by, value, agg, " +
      "groups: [{ key, value, count, share }], totalGroups, truncated } sorted by value, largest first; share " +
      `(of the total) for sum and count; at most ${DEFAULT_MAX_GROUPS} groups are listed.`,
    schema: GroupArgs,
    risk: "LOW",
    timeoutMs: 15_000,
    async run(args) {
      return groupRows(await rowsOf(args), args.by, args.agg, args.value);
    },
  };

  return [loadCsv, describeData, findAnomaliesTool, groupBy] as const;
}
