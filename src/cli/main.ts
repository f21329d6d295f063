#!/usr/bin/env node
import { parseFlags, USAGE } from "./flags.js";
import { isUsageError, UsageError } from "./resume-value.js";
import type { Command } from "./session.js";

/**
 * The `plan-execute` CLI. Arguments are parsed before anything heavy is imported; each command is
 * its own module, loaded only when it runs, so `--help` costs no LangGraph, model or tool import.
 */
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  run: () => import("./commands/run.js"),
  demo: () => import("./commands/demo.js"),
  resume: () => import("./commands/resume.js"),
  threads: () => import("./commands/threads.js"),
  show: () => import("./commands/show.js"),
  history: () => import("./commands/history.js"),
  fork: () => import("./commands/fork.js"),
  report: () => import("./commands/report.js"),
};

async function main(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseFlags(argv);
  const [name, ...rest] = positionals;
  if (flags.help || name === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return flags.help ? 0 : 2;
  }
  if (name === "settings") {
    const { formatSettings } = await import("./settings-list.js");
    process.stdout.write(`${formatSettings(process.stdout.columns ?? 100)}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command "${name}"\n${USAGE}`);
  const [{ default: command }, { withSession }] = await Promise.all([load(), import("./session.js")]);
  return withSession(flags, (cli) => command(cli, rest));
}

// `plan-execute history t | head` closes the pipe early: that is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = (err as { exitCode?: number }).exitCode ?? (isUsageError(err) ? 2 : 1);
  },
);
