import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fixture, type FixtureName } from "./fixtures.js";

/** test/fixtures/lease-child.ts running, with its stdout as a queue of lines. */
export interface LeaseChild {
  proc: ChildProcessWithoutNullStreams;
  /** The next line it prints; rejects if it exits first or says nothing for `timeoutMs`. */
  nextLine(timeoutMs?: number): Promise<string>;
  send(line: string): void;
  /** Resolves once it has exited (and been reaped: its pid is gone). */
  exited: Promise<number | null>;
  stderr(): string;
}

const running = new Set<ChildProcessWithoutNullStreams>();

export function startLeaseChild(args: string[]): LeaseChild {
  return startLineChild("lease-child", args);
}

/** Any bundled fixture that talks in lines on stdin/stdout (see {@link LeaseChild}). */
export function startLineChild(name: FixtureName, args: string[]): LeaseChild {
  const proc = spawn(process.execPath, [fixture(name), ...args], { stdio: "pipe" });
  running.add(proc);
  let stderr = "";
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  createInterface({ input: proc.stdout }).on("line", (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.on("exit", (code) => {
      running.delete(proc);
      for (const waiter of waiting.splice(0)) waiter(null);
      resolve(code);
    }),
  );
  const nextLine = (timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolve(queued);
      if (proc.exitCode !== null || proc.signalCode !== null)
        return reject(new Error(`${name} exited: ${stderr}`));
      const timer = setTimeout(() => reject(new Error(`${name} said nothing: ${stderr}`)), timeoutMs);
      waiting.push((line) => {
        clearTimeout(timer);
        if (line === null) reject(new Error(`${name} exited: ${stderr}`));
        else resolve(line);
      });
    });
  return { proc, nextLine, send: (line) => proc.stdin.write(`${line}\n`), exited, stderr: () => stderr };
}

/** For afterAll: SIGKILLs the children (of any fixture) a failed test left running. */
export function killLeaseChildren(): void {
  for (const proc of running) proc.kill("SIGKILL");
}

/**
 * How many effects began while another was still under way, per trial, from the lines
 * "start <trial> <pid>" / "end <trial> <pid>" the children appended.
 */
export function doubleEffects(log: string): Map<string, number> {
  const doubles = new Map<string, number>();
  const open = new Set<string>();
  for (const line of log.trim().split("\n").filter(Boolean)) {
    const [kind, trial = "", pid] = line.split(" ");
    if (kind === "start") {
      if (open.size > 0) doubles.set(trial, (doubles.get(trial) ?? 0) + 1);
      open.add(`${trial} ${pid}`);
    } else open.delete(`${trial} ${pid}`);
  }
  return doubles;
}
