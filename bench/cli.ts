/**
 * CLI start-up: CPU time of one `node bin/plan-execute.js …` process per command, against `node -e 0`
 * (Node's own start-up). Each child is started with `--import bench/cpu-at-exit.mjs`, which writes
 * `process.resourceUsage()` when the child exits. `show` and `resume` read a finished thread that a
 * `demo ratio` run (also measured) writes into a temporary SQLite file first. Needs `npm run build`.
 *
 *   npx tsx bench/cli.ts
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./harness.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = path.join(ROOT, "bin/plan-execute.js");
const PRELOAD = pathToFileURL(path.join(ROOT, "bench/cpu-at-exit.mjs")).href;
const THREAD = "bench-ratio";

export interface CliRow {
  command: string;
  /** Median CPU ms (user + system) of the child process. */
  cpuMs: number;
  wallMs: number;
  maxRssMb: number;
  exitCode: number;
}

async function runChild(dir: string, args: string[]): Promise<Omit<CliRow, "command">> {
  const out = path.join(dir, "usage.json");
  const started = performance.now();
  const child = spawnSync(process.execPath, ["--import", PRELOAD, ...args], {
    cwd: dir,
    env: { ...process.env, BENCH_CPU_OUT: out, NO_COLOR: "1", OPENAI_API_KEY: "", OPENAI_BASE_URL: "" },
    encoding: "utf8",
    timeout: 120_000,
  });
  const wallMs = performance.now() - started;
  if (child.error) throw child.error;
  const usage = JSON.parse(await readFile(out, "utf8")) as NodeJS.ResourceUsage;
  await rm(out);
  return {
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    wallMs,
    maxRssMb: usage.maxRSS / 1024,
    exitCode: child.status ?? -1,
  };
}

export async function measureCli(options: { reps?: number } = {}): Promise<CliRow[]> {
  if (!existsSync(path.join(ROOT, "dist/cli/main.js")))
    throw new Error("dist/ is missing: run `npm run build`");
  const reps = options.reps ?? 3;
  const dir = await mkdtemp(path.join(tmpdir(), "bench-cli-"));
  const db = ["--db", path.join(dir, "checkpoints.sqlite")];
  const commands: [string, string[]][] = [
    ["node -e 0 (baseline)", ["-e", "0"]],
    ["--help", [BIN, "--help"]],
    ["demo ratio (whole run)", [BIN, "demo", "ratio", "--no-latency", "--thread", THREAD, "--json", ...db]],
    ["threads", [BIN, "threads", ...db]],
    ["show <thread>", [BIN, "show", THREAD, ...db]],
    ["resume <finished thread>", [BIN, "resume", THREAD, ...db]],
  ];
  try {
    const rows: CliRow[] = [];
    for (const [command, args] of commands) {
      const runs: Omit<CliRow, "command">[] = [];
      // The demo writes the thread the later commands read: it runs once.
      const times = command.startsWith("demo") ? 1 : reps;
      for (let r = 0; r < times; r++) runs.push(await runChild(dir, args));
      const failed = runs.find((x) => x.exitCode !== 0);
      if (failed) throw new Error(`\`${command}\` exited with ${failed.exitCode}`);
      rows.push({
        command,
        cpuMs: median(runs.map((x) => x.cpuMs)),
        wallMs: median(runs.map((x) => x.wallMs)),
        maxRssMb: median(runs.map((x) => x.maxRssMb)),
        exitCode: 0,
      });
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function printCli(rows: CliRow[]): void {
  console.log("command                            CPU ms   wall ms   peak RSS MB");
  for (const r of rows) {
    console.log(
      `${r.command.padEnd(34)} ${r.cpuMs.toFixed(0).padStart(6)}  ${r.wallMs.toFixed(0).padStart(8)}  ${r.maxRssMb.toFixed(0).padStart(12)}`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  printCli(await measureCli());
}
