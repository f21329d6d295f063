import type { Command as ResumeCommand } from "@langchain/langgraph";
import type { PlanExecuteAgent } from "../agent/agent.js";
import { EnvConfigError, hasLiveModel, readEnv } from "../config/env.js";
import { resolveSettings, type PlanExecuteContext } from "../core/settings.js";
import { threadReader } from "../graph/reader.js";
import type { PlanExecuteStateType } from "../core/state.js";
import type { ModelProvider } from "../models/provider.js";
import {
  ThreadBusyError,
  threadLeasesFor,
  withThreadLease,
  type ThreadLease,
  type ThreadLeases,
} from "../agent/lease.js";
import { readThread, ThreadNotFoundError, type ThreadGraph, type ThreadView } from "../agent/threads.js";
import { CheckpointerConfigError, openCheckpointer, type OpenedCheckpointer } from "./checkpointer.js";
import type { Flags } from "./flags.js";
import { describeWaiting, UsageError } from "./resume-value.js";
import { parseSettingFlags } from "./settings-flags.js";

/** What every command gets: its flags, the checkpointer, the thread leases. */
export interface Cli {
  flags: Flags;
  db: OpenedCheckpointer;
  /** One active run per thread, in the checkpointer's own database. */
  leases: ThreadLeases | null;
  interactive: boolean;
  /** Run when the command ends (e.g. stopping a local model server). */
  cleanup: (() => Promise<void>)[];
  /** Threads this command ran or resumed (for `--report`). */
  touched: string[];
}

export type Command = (cli: Cli, args: string[]) => Promise<number>;

export const out = { write: (text: string) => void process.stdout.write(text) };

/** Opens the checkpointer and leases for one command and closes them after it, whatever happens. */
export async function withSession(flags: Flags, fn: (cli: Cli) => Promise<number>): Promise<number> {
  try {
    const url = flags.checkpointer ?? readEnv().databaseUrl;
    const db = await openCheckpointer({ db: flags.db, url });
    const leases = threadLeasesFor(db.saver, { db: db.where, url });
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !flags.json;
    const cli: Cli = { flags, db, leases, interactive, cleanup: [], touched: [] };
    try {
      return await fn(cli);
    } finally {
      if (flags.report && cli.touched.length > 0) {
        const { writeRunReports } = await import("./report.js");
        await writeRunReports(reader(cli), cli.touched, flags.report, out, flags.json);
      }
      for (const close of cli.cleanup) await close();
      // Leases first: the SQLite ones may live on the checkpointer's connection.
      await leases?.close();
      await db.close();
    }
  } catch (err) {
    if (err instanceof CheckpointerConfigError || err instanceof EnvConfigError)
      throw new UsageError(err.message);
    if (err instanceof ThreadBusyError) throw Object.assign(err, { exitCode: 4 });
    throw err;
  }
}

/** How long `--wait` waits for a busy thread. */
const WAIT_FOR_THREAD_MS = 60 * 60_000;

/**
 * Runs `fn` as the thread's only writer: a second run or resume of a busy thread fails at once
 * with ThreadBusyError (exit 4), or waits for it with `--wait`. Whatever `fn` reads of the thread,
 * it reads after the lease is held, so it sees what the previous holder left.
 */
export function exclusive<T>(cli: Cli, threadId: string, fn: (lease: ThreadLease) => Promise<T>): Promise<T> {
  return withThreadLease(cli.leases, threadId, fn, cli.flags.wait ? { waitMs: WAIT_FOR_THREAD_MS } : {});
}

/**
 * The graph used to read and list threads: the graph's shape without its nodes' code, so the
 * commands that only read (`threads`, `show`, `history`, `report`, `resume` of a finished run)
 * load no node, model or tool module.
 */
export function reader(cli: Cli): ThreadGraph {
  return threadReader(cli.db.saver);
}

/** A provider for a graph that only forks threads: nothing may call a model through it. */
const noModels: ModelProvider = (role) => {
  throw new Error(`this graph only reads and forks threads; it has no ${role} model`);
};

/** The whole graph with no model and no tool, for `fork` (which applies an update as a node and runs a stop). */
export async function forker(cli: Cli): Promise<PlanExecuteAgent> {
  const [{ buildPlanExecuteGraph }, { ToolRegistry }] = await Promise.all([
    import("../graph/builder.js"),
    import("../tools/registry.js"),
  ]);
  return buildPlanExecuteGraph({ models: noModels, tools: new ToolRegistry() }).compile({
    checkpointer: cli.db.saver,
  });
}

export async function loadThread(
  cli: Cli,
  threadId: string | undefined,
  checkpointId?: string,
): Promise<ThreadView> {
  if (!threadId) throw new UsageError("name a thread (see `plan-execute threads`)");
  try {
    return await readThread(reader(cli), threadId, checkpointId);
  } catch (err) {
    if (err instanceof ThreadNotFoundError) throw new UsageError(`${err.message} in ${cli.db.where}`);
    throw err;
  }
}

/**
 * A new goal on a thread starts a clean run (its old run stays in the history). A thread whose run
 * is not finished — waiting for a decision or stopped mid-way — is not silently abandoned.
 */
export async function refuseUnfinished(cli: Cli, threadId: string): Promise<void> {
  const view = await readThread(reader(cli), threadId).catch(() => null);
  if (view && (view.status === "waiting" || view.status === "interrupted")) {
    throw new UsageError(
      `thread ${threadId} has an unfinished run (${view.status}: "${view.state.goal.slice(0, 60)}"); resume it with \`plan-execute resume ${threadId}\`, or give the new goal another --thread`,
    );
  }
}

/** The settings `run` and `demo` were given: named flags, budget flags and `--set key=value`. */
export function runContext(flags: Flags): PlanExecuteContext {
  const auto = flags["auto-approve"];
  if (auto !== undefined && !["LOW", "MEDIUM", "HIGH"].includes(auto)) {
    throw new UsageError(`--auto-approve takes LOW, MEDIUM or HIGH (got "${auto}")`);
  }
  const context = {
    ...(flags["approve-plan"] ? { approvePlan: "always" as const } : {}),
    ...(auto ? { autoApprove: auto as "LOW" | "MEDIUM" | "HIGH" } : {}),
    ...parseSettingFlags(flags),
  };
  try {
    resolveSettings(context);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return context;
}

/** The data and file tools' folder: PLAN_EXECUTE_WORKSPACE, else `.plan-execute/workspace`. */
export function workspaceOf(): string {
  return readEnv().workspace ?? ".plan-execute/workspace";
}

/** send_email's folder: --outbox, else PLAN_EXECUTE_OUTBOX, else `.plan-execute/outbox`. */
export function outboxOf(cli: Cli): string {
  return cli.flags.outbox ?? readEnv().outbox ?? ".plan-execute/outbox";
}

/**
 * The agent for a thread: a demo thread (marked by its `demoScenario` setting) gets its scenario's
 * script, continued where it stopped, through the local OpenAI-compatible server when it runs
 * live-local; other threads get the live models and tools (with MCP servers from `--mcp`).
 */
export async function agentFor(
  cli: Cli,
  state: { settings?: Record<string, unknown> | null; usage?: PlanExecuteStateType["usage"] },
  scenarioName?: string | null,
): Promise<PlanExecuteAgent> {
  const name = scenarioName ?? (state.settings?.demoScenario as string | null | undefined);
  if (name) {
    const { demoAgent } = await import("../demo/cli-agent.js");
    return demoAgent(cli, name, state);
  }
  const env = readEnv();
  if (!hasLiveModel(env)) {
    throw new UsageError(
      "no model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server); `plan-execute demo` runs offline",
    );
  }
  const [{ createPlanExecuteAgent }, { createLiveTools }] = await Promise.all([
    import("../agent/agent.js"),
    import("../tools/index.js"),
  ]);
  const tools = createLiveTools(env, { outbox: outboxOf(cli) });
  const mcpConfig = cli.flags.mcp ?? env.mcpConfig;
  if (!mcpConfig) return createPlanExecuteAgent({ checkpointer: cli.db.saver, tools });
  const { loadMcpTools, McpConfigError } = await import("../tools/mcp.js");
  const mcp = await loadMcpTools(mcpConfig).catch((err: unknown) => {
    throw err instanceof McpConfigError ? new UsageError(err.message) : err;
  });
  cli.cleanup.push(() => mcp.close());
  for (const warning of mcp.warnings) process.stderr.write(`warning: ${warning}\n`);
  const { ToolRegistry: Registry } = await import("../tools/registry.js");
  return createPlanExecuteAgent({
    checkpointer: cli.db.saver,
    tools: new Registry([...tools.list(), ...mcp.tools]),
  });
}

/** Runs to the end or a stop; at a stop on a terminal it asks, otherwise it says how to resume (exit 3). */
export async function drive(
  cli: Cli,
  lease: ThreadLease,
  agent: PlanExecuteAgent,
  input: { goal: string } | ResumeCommand | null,
  threadId: string,
  context?: PlanExecuteContext,
): Promise<number> {
  cli.touched.push(threadId);
  const { streamRun } = await import("./stream.js");
  let next = input;
  for (;;) {
    let result;
    try {
      result = await streamRun(agent, next, {
        threadId,
        context: next === input ? context : undefined,
        signal: lease.signal,
        json: cli.flags.json,
        tty: cli.interactive,
        out,
      });
    } catch (err) {
      return stopped(cli, threadId, err);
    }
    const waiting = result.pending[0];
    if (!waiting) return finish(cli, result.state, threadId);
    if (cli.interactive) {
      const [{ askDecision }, { Command }] = await Promise.all([
        import("./prompt.js"),
        import("@langchain/langgraph"),
      ]);
      next = new Command({ resume: await askDecision(threadId, waiting.request) });
      continue;
    }
    if (cli.flags.json)
      out.write(
        `${JSON.stringify({ thread: threadId, type: "approval_required", request: waiting.request })}\n`,
      );
    else out.write(`\n${describeWaiting(threadId, waiting.request)}\n`);
    return 3;
  }
}

/**
 * A run that stopped on an error (a model that failed after its retries, a cut-off or blank answer,
 * a lost lease): everything finished so far is in the checkpoint, so it says how to go on.
 */
function stopped(cli: Cli, threadId: string, err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  if (cli.flags.json) out.write(`${JSON.stringify({ thread: threadId, type: "error", error: message })}\n`);
  process.stderr.write(
    `error: ${message}\nthread ${threadId} keeps every finished step; continue with: plan-execute resume ${threadId}\n`,
  );
  return 1;
}

export function finish(cli: Cli, state: PlanExecuteStateType, threadId: string): number {
  if (cli.flags.json)
    out.write(
      `${JSON.stringify({ thread: threadId, type: "done", answer: state.finalAnswer, error: state.error })}\n`,
    );
  if (state.error) process.stderr.write(`error: ${state.error}\n`);
  else if (!cli.interactive && !cli.flags.json && state.finalAnswer === null)
    process.stderr.write("error: the run ended without an answer\n");
  return state.error === null && state.finalAnswer !== null ? 0 : 1;
}
