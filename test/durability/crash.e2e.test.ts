import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixture } from "../helpers/fixtures.js";

/** Kill points across the suite; `npm run soak:crash` raises it to 50. */
const KILLS = Number(process.env.CRASH_KILLS ?? 10);
const THREADS = Math.max(1, Math.ceil(KILLS / 2));

const dir = mkdtempSync(join(tmpdir(), "pe-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const child = fixture("crash-child");

function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2 ** 31;
    return a / 2 ** 31;
  };
}

/**
 * Starts the child; kills it `killAfterMs` after it says "started" (or lets it finish). Resolves
 * with its exit code and how long it ran after "started".
 */
function runChild(args: string[], killAfterMs: number | null): Promise<{ code: number | null; ms: number }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [child, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let startedAt: number | undefined;
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      // Timed from "started", not from the spawn: loading takes seconds on a busy machine.
      if (startedAt === undefined && stdout.includes("started")) {
        startedAt = Date.now();
        if (killAfterMs !== null) setTimeout(() => proc.kill("SIGKILL"), killAfterMs);
      }
    });
    proc.on("exit", (code) => {
      if (code !== null && code !== 0) console.error(stderr);
      resolve({ code, ms: startedAt === undefined ? 0 : Date.now() - startedAt });
    });
  });
}

/** What a thread must have left behind once it is done: every step's mark, and in the outbox two complete messages. */
function expectThreadDone(thread: string): void {
  const marks = join(dir, thread, "marks");
  const outbox = join(dir, thread, "outbox");
  const done = readdirSync(marks).filter((f) => f.endsWith(".done"));
  expect(done.sort()).toEqual(["a", "b", "c", "d", "e", "f"].map((s) => `${thread}_${s}.done`).sort());
  // What a mail relay reading the outbox picks up: one complete message per email step and
  // nothing else (no temp file of a send that was killed between its write and its link).
  const files = readdirSync(outbox).sort();
  expect(
    files.filter((f) => !/^[0-9a-f]{32}\.eml$/.test(f)),
    `files in the outbox of ${thread} that are not messages`,
  ).toEqual([]);
  expect(files, `outbox of ${thread}`).toHaveLength(2);
  const messages = files.map((f) => readFileSync(join(outbox, f), "utf8"));
  for (const text of messages) {
    expect(text).toMatch(
      /^Message-ID: <[^>]+>\r\n[\s\S]*\r\nX-Idempotency-Key: crash-[\w-]+:[0-9a-f-]{36}:mail_[12]\r\n/,
    );
  }
  const bodies = messages.map((text) => /\r\n\r\n([\s\S]*)\r\n$/.exec(text)?.[1]);
  expect(bodies.sort()).toEqual(["d took 150 ms", "e took 100 ms"]);
}

function argsOf(thread: string): string[] {
  const marks = join(dir, thread, "marks");
  mkdirSync(marks, { recursive: true });
  return [join(dir, "checkpoints.sqlite"), join(dir, thread, "outbox"), marks, thread];
}

describe("crash test: SIGKILL at random moments, resume from SQLite in a new process", () => {
  it(
    `completes every thread with each step's effect exactly once (${KILLS} kill points)`,
    { timeout: 600_000 },
    async () => {
      const random = seeded(7);
      // One run without a kill says how long the plan takes on this machine right now (about
      // 1 s after "started" here, with or without busy cores); the kill points spread over that.
      const calibration = await runChild(argsOf("crash-calibration"), null);
      expect(calibration.code).toBe(0);
      expectThreadDone("crash-calibration");
      const spreadMs = Math.max(800, Math.round(calibration.ms * 1.2));
      let killsLeft = KILLS;
      let rawCompletions = 0;
      let killedSends = 0;
      for (let t = 0; t < THREADS; t++) {
        const thread = `crash-${t}`;
        const args = argsOf(thread);
        const killsHere = t === THREADS - 1 ? killsLeft : Math.min(killsLeft, 2);
        for (let k = 0; k < killsHere; k++) {
          const { code } = await runChild(args, Math.floor(random() * spreadMs));
          killsLeft -= 1;
          if (code === 0) break; // finished before the kill landed
        }
        expect((await runChild(args, null)).code).toBe(0);
        expectThreadDone(thread);
        // A send killed between its write and its link leaves its temp file in the staging folder.
        const staging = join(dir, thread, ".outbox.staging");
        killedSends += existsSync(staging)
          ? readdirSync(staging).filter((f) => f.endsWith(".tmp")).length
          : 0;
        const log = join(dir, thread, "marks", "completions.log");
        rawCompletions += existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").length : 0;
      }
      // Replay alone is at-least-once: a step can finish just before a kill and run again on resume.
      // The idempotency keys above keep every effect single; this says how often replay happened.
      console.log(
        `crash test: ${KILLS} kills over ${THREADS} threads (spread over ${spreadMs} ms); ` +
          `${rawCompletions} raw completions of ${THREADS * 6} work steps; ${killedSends} sends killed ` +
          `between write and link`,
      );
    },
  );
});
