/**
 * Reads back what `compactText` (src/tools/prompt-text.ts) wrote: the scripted demo models read
 * the data tools' outputs from their prompts, as a model would, and compute their answers from
 * them. `key: value` lines, indented objects, and `key (N rows, as CSV):` and
 * `key (N rows by key, as CSV):` tables.
 */

function cell(raw: string): unknown {
  if (raw === "") return null;
  if (raw === "true" || raw === "false") return raw === "true";
  if (raw === "null") return null;
  if (/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(raw)) return Number(raw);
  if (raw.startsWith('"') || raw.startsWith("[") || raw.startsWith("{")) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

/** One CSV line's cells, honouring double quotes. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      cells.push(current);
      current = "";
    } else current += ch;
  }
  return [...cells, current];
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown) {
  const keys = dotted.split(".");
  let at = target;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = value;
}

const indentOf = (line: string) => line.length - line.trimStart().length;

export function readCompactText(text: string): Record<string, unknown> {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  let i = 0;
  const readObject = (indent: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    while (i < lines.length && indentOf(lines[i]!) === indent) {
      const line = lines[i]!.trim();
      i++;
      const table = /^(.+?) \((\d+) rows( by key)?, as CSV\):$/.exec(line);
      if (table) {
        const header = csvCells(lines[i++]!.trim());
        const keyed = table[3] !== undefined;
        const rows: Record<string, unknown>[] = [];
        const byKey: Record<string, unknown> = {};
        for (let n = 0; n < Number(table[2]); n++) {
          const row: Record<string, unknown> = {};
          const cells = csvCells(lines[i++]!.trim());
          cells.forEach((raw, c) => {
            if (!keyed || c > 0) setPath(row, header[c]!, cell(raw));
          });
          if (keyed) byKey[cells[0]!] = row;
          else rows.push(row);
        }
        out[table[1]!] = keyed ? byKey : rows;
      } else if (line.endsWith(":")) {
        out[line.slice(0, -1)] = readObject(indentOf(lines[i] ?? "") > indent ? indentOf(lines[i]!) : -1);
      } else {
        const at = line.indexOf(": ");
        out[line.slice(0, at)] = cell(line.slice(at + 2));
      }
    }
    return out;
  };
  return readObject(0);
}
