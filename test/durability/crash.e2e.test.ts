import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/** Kill points across the suite; `npm run soak:crash` raises it to 50. */
const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const THREADS = Math.max(1, Math.ceil(KILLS / 2));

const dir = mkdtempSync(join(tmpdir(), "pe-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const child = new URL("../fixtures/crash-child.ts", import.meta.url).pathname;

function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2 ** 31;
    return a / 2 ** 31;
  };
}

/** Starts the child; kills it `killAfterMs` after it says "started" (or lets it finish). Resolves with its exit code. */
function runChild(args: string[], killAfterMs: number | null): Promise<number | null> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ["--import", "tsx", child, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.stdout.on("data", (d: Buffer) => {
      if (killAfterMs !== null && d.toString().includes("started"))
        setTimeout(() => proc.kill("SIGKILL"), killAfterMs);
    });
    proc.on("exit", (code) => {
      if (code !== null && code !== 0) console.error(stderr);
      resolve(code);
    });
  });
}

describe("crash test: SIGKILL at random moments, resume from SQLite in a new process", () => {
  it(
    `completes every thread with each step's effect exactly once (${KILLS} kill points)`,
    { timeout: 600_000 },
    async () => {
      const random = seeded(7);
      let killsLeft = KILLS;
      let rawCompletions = 0;
      for (let t = 0; t < THREADS; t++) {
        const thread = `crash-${t}`;
        const outbox = join(dir, thread, "outbox");
        const marks = join(dir, thread, "marks");
        mkdirSync(marks, { recursive: true });
        const args = [join(dir, "checkpoints.sqlite"), outbox, marks, thread];
        const killsHere = t === THREADS - 1 ? killsLeft : Math.min(killsLeft, 2);
        for (let k = 0; k < killsHere; k++) {
          // The plan takes ~0.6 s once started; kill points spread over it and a little beyond.
          const code = await runChild(args, Math.floor(random() * 800));
          killsLeft -= 1;
          if (code === 0) break; // finished before the kill landed
        }
        expect(await runChild(args, null)).toBe(0);
        const done = readdirSync(marks).filter((f) => f.endsWith(".done"));
        expect(done.sort()).toEqual(["a", "b", "c", "d", "e", "f"].map((s) => `${thread}_${s}.done`).sort());
        expect(readdirSync(outbox)).toHaveLength(2);
        const log = join(marks, "completions.log");
        rawCompletions += existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").length : 0;
      }
      // Replay alone is at-least-once: a step can finish just before a kill and run again on resume.
      // The idempotency keys above keep every effect single; this says how often replay happened.
      console.log(
        `crash test: ${KILLS} kills over ${THREADS} threads; ${rawCompletions} raw completions of ${THREADS * 6} work steps`,
      );
    },
  );
});
