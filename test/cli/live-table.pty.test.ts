import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The live table under a real pseudo-terminal (util-linux `script`): the CLI sees a TTY, draws
 * its table with cursor movements, and what stays on the screen is what a person reads.
 */
const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasScript) console.warn("live-table pty test skipped: util-linux `script` is not installed");

const dir = mkdtempSync(join(tmpdir(), "pe-pty-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = new URL("../../bin/plan-execute.js", import.meta.url).pathname;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function underPty(args: string[]): { code: number | null; raw: string } {
  const cmd = [
    process.execPath,
    bin,
    ...args,
    "--db",
    join(dir, "db.sqlite"),
    "--outbox",
    join(dir, "outbox"),
  ]
    .map(quote)
    .join(" ");
  const env = { ...process.env, OPENAI_API_KEY: "", OPENAI_BASE_URL: "", DATABASE_URL: "", TERM: "xterm" };
  const r = spawnSync("script", ["-qec", cmd, "/dev/null"], {
    env,
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: r.status, raw: r.stdout + r.stderr };
}

/**
 * What the terminal shows at the end (screen and scrollback): applies the escape sequences the
 * live table uses — cursor to the start of a previous line (`ESC[nF`), erase to the end of the
 * screen (`ESC[J`), colours (ignored) — and carriage returns and newlines.
 */
function screenOf(raw: string): string[] {
  const lines: string[] = [""];
  let row = 0;
  let col = 0;
  const put = (ch: string) => {
    const line = lines[row] ?? "";
    lines[row] = line.padEnd(col, " ").slice(0, col) + ch + line.slice(col + 1);
    col += 1;
  };
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === "\x1b" && raw[i + 1] === "[") {
      // eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
      const m = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(raw.slice(i));
      if (!m) continue;
      i += m[0].length - 1;
      const n = Number(m[1] || "1");
      if (m[2] === "F") {
        row = Math.max(0, row - n);
        col = 0;
      } else if (m[2] === "A") {
        row = Math.max(0, row - n);
      } else if (m[2] === "J") {
        lines[row] = (lines[row] ?? "").slice(0, col);
        lines.length = row + 1;
      } else if (m[2] === "K") {
        lines[row] = (lines[row] ?? "").slice(0, col);
      }
      continue;
    }
    if (ch === "\r") col = 0;
    else if (ch === "\n") {
      row += 1;
      col = 0;
      if (lines.length <= row) lines.push("");
    } else put(ch);
  }
  return lines;
}

describe.skipIf(!hasScript)("the live table on a terminal", () => {
  it("prints the final table once: above the answer, never again after it", () => {
    const { code, raw } = underPty(["demo", "ratio", "--no-latency", "--thread", "pty-ratio"]);
    expect(code, raw).toBe(0);
    const screen = screenOf(raw);
    const stepLine = (id: string) => new RegExp(`^\\s*✔ ${id}\\s+\\S+\\s+\\d+\\.\\ds\\s`);
    const answerAt = screen.findIndex((l) => l.trim() === "Answer");
    expect(answerAt, screen.join("\n")).toBeGreaterThan(0);
    for (const id of ["step_1", "step_2", "step_3", "step_4"]) {
      const at = screen.flatMap((l, i) => (stepLine(id).test(l) ? [i] : []));
      expect(at, `${id} in:\n${screen.join("\n")}`).toHaveLength(1);
      expect(at[0]).toBeLessThan(answerAt);
    }
    // The answer is the last thing on the screen (no table after it).
    const after = screen.slice(answerAt + 1).filter((l) => l.trim() !== "");
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/2\.36 times AMD's \[step_4\]/);
  });
});
