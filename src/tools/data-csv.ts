/**
 * CSV as data for the data tools: cells cast (numbers, empty cells as null), parsed as a stream so
 * memory is bounded by the rows kept, with limits on columns, record length and output size.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ToolInputError } from "./types.js";

/** One value of a table: CSV cells that look like numbers are numbers, empty cells are null. */
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

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
