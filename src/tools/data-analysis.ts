/**
 * The analyses of the data tools, as pure functions over rows: column statistics, anomalies by
 * z-score, group-by aggregations. No I/O: the tools in data.ts read the rows and call these.
 */
import { mean, quantile, sampleStandardDeviation } from "simple-statistics";
import type { Row } from "./data-csv.js";
import { ToolInputError } from "./types.js";

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
export const DEFAULT_MAX_ANOMALIES = 100;
/** Groups group_by returns; the largest first. */
export const DEFAULT_MAX_GROUPS = 1000;

const round = (x: number, digits = 4) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

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

export function columnsOf(rows: Row[]): string[] {
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
