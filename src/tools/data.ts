/**
 * The data tools (load_csv, describe_data, find_anomalies, group_by): their argument schemas and
 * risk tiers, reading CSV files from the workspace. Parsing is in data-csv.ts, the analyses in
 * data-analysis.ts (both re-exported here).
 */
import { z } from "zod";
import { Workspace } from "./workspace.js";
import { ToolInputError, type PlanTool } from "./types.js";
import { parseCsv, type LoadCsvOutput, type Row } from "./data-csv.js";
import { compactText, tablePromptText } from "./prompt-text.js";
import {
  AGGREGATIONS,
  columnsOf,
  DEFAULT_MAX_ANOMALIES,
  DEFAULT_MAX_GROUPS,
  describeRows,
  findAnomalies,
  groupRows,
} from "./data-analysis.js";

export * from "./data-csv.js";
export * from "./data-analysis.js";

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
    promptText: (output) => tablePromptText(output as LoadCsvOutput),
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
    promptText: compactText,
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
    promptText: compactText,
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
    promptText: compactText,
    timeoutMs: 15_000,
    async run(args) {
      return groupRows(await rowsOf(args), args.by, args.agg, args.value);
    },
  };

  return [loadCsv, describeData, findAnomaliesTool, groupBy] as const;
}
