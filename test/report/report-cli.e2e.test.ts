import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testDatabases } from "../helpers/postgres.js";

/** `plan-execute report` and `--report` in child processes, on SQLite and (when reachable) PostgreSQL. */
const dir = mkdtempSync(join(tmpdir(), "pe-report-cli-"));
const bin = new URL("../../bin/plan-execute.js", import.meta.url).pathname;
const db = join(dir, "db.sqlite");

function cli(args: string[], store: string[] = ["--db", db]) {
  const env = { ...process.env, OPENAI_API_KEY: "", OPENAI_BASE_URL: "", DATABASE_URL: "" };
  const r = spawnSync(process.execPath, [bin, ...args, ...store, "--outbox", join(dir, "outbox")], {
    env,
    encoding: "utf8",
    timeout: 90_000,
    cwd: dir,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const pgdb = await testDatabases("pe_report", "the report's PostgreSQL test");

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pgdb?.dropAll();
});

describe("plan-execute report (SQLite)", () => {
  it("writes the report when a run stops for approval, when it is resumed, and on demand", () => {
    const paused = cli(["demo", "email", "--no-latency", "--thread", "mail", "--report", "paused.html"]);
    expect(paused.code).toBe(3);
    expect(paused.stdout).toContain(`report: ${join(dir, "paused.html")}`);
    const first = readFileSync(join(dir, "paused.html"), "utf8");
    expect(first).toContain('<span class="badge status-waiting">waiting</span>');
    expect(first).toContain('class="bar wait open" data-kind="wait" data-step="step_5"');

    const resumed = cli(["resume", "mail", "--approve", "--json", "--report", "out/done.html"]);
    expect(resumed.code).toBe(0);
    const lines = resumed.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toEqual({ thread: "mail", type: "report", file: join(dir, "out", "done.html") });
    const done = readFileSync(join(dir, "out", "done.html"), "utf8");
    expect(done).toContain('<span class="badge status-finished">finished</span>');
    expect(done).toContain('class="bar wait done" data-kind="wait" data-step="step_5"');

    const onDemand = cli(["report", "mail", "--svg", "timeline.svg"]);
    expect(onDemand.code).toBe(0);
    expect(onDemand.stdout).toBe(
      `report: ${join(dir, "report-mail.html")}\nreport: ${join(dir, "timeline.svg")}\n`,
    );
    expect(readFileSync(join(dir, "timeline.svg"), "utf8")).toMatch(
      /^<\?xml[^>]*>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
    );

    const data = JSON.parse(cli(["report", "mail", "--json"]).stdout) as { format: number; steps: unknown[] };
    expect(data.format).toBe(1);
    expect(data.steps).toHaveLength(5);
  });

  it("writes one report per thread for a demo of several scenarios", () => {
    const r = cli(["demo", "ratio", "recover", "--no-latency", "--json", "--report", "many.html"]);
    expect(r.code).toBe(0);
    const files = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; file?: string; thread: string })
      .filter((e) => e.type === "report");
    expect(files).toHaveLength(2);
    for (const f of files) {
      expect(f.file).toBe(join(dir, `many-${f.thread}.html`));
      expect(existsSync(f.file as string)).toBe(true);
    }
  });

  it("refuses an unknown thread with exit code 2 and one line", () => {
    const r = cli(["report", "no-such-thread"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no thread "no-such-thread" in .*db\.sqlite\n$/);
  });
});

describe.skipIf(!pgdb)("plan-execute report (PostgreSQL)", () => {
  it("reads a run checkpointed in PostgreSQL", async () => {
    const { url } = await pgdb!.fresh("report");
    const store = ["--checkpointer", url];
    const run = cli(["demo", "ratio", "--no-latency", "--thread", "pg-ratio", "--report", "pg.html"], store);
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(join(dir, "pg.html"), "utf8");
    expect(html).toContain('<span class="badge status-finished">finished</span>');
    expect(html).toContain('class="mk mk-critic good"');
    const data = JSON.parse(cli(["report", "pg-ratio", "--json"], store).stdout) as {
      steps: { id: string; attemptLog: unknown[] }[];
    };
    expect(data.steps.map((s) => [s.id, s.attemptLog.length])).toEqual([
      ["step_1", 1],
      ["step_2", 1],
      ["step_3", 1],
      ["step_4", 1],
    ]);
  });
});
