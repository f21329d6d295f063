#!/usr/bin/env node
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { Command } from "@langchain/langgraph";
import { createPlanExecuteAgent, type PlanExecuteAgent } from "../agent.js";
import { EnvConfigError, hasLiveModel, readEnv } from "../config/env.js";
import { resolveSettings, type PlanExecuteContext } from "../graph/context.js";
import { buildPlanExecuteGraph } from "../graph/builder.js";
import type { PlanExecuteStateType } from "../graph/state.js";
import {
  forkThread,
  listThreads,
  readThread,
  threadHistory,
  ThreadNotFoundError,
  type ThreadView,
} from "../threads.js";
import { fixedModelProvider, openAIModelProvider } from "../models/provider.js";
import { scriptedRoles } from "../models/scripted.js";
import { createScenarioAgent } from "../scenarios/agent.js";
import { findScenario, scenarioForGoal, SCENARIOS } from "../scenarios/index.js";
import {
  isLocalModelRun,
  localModelSettings,
  localServerEnv,
  serveScenario,
} from "../scenarios/local-server.js";
import { createLiveTools, DEFAULT_OUTBOX, DEFAULT_WORKSPACE } from "../tools/index.js";
import { ToolRegistry } from "../tools/registry.js";
import { CheckpointerConfigError, openCheckpointer, type OpenedCheckpointer } from "./checkpointer.js";
import { askDecision } from "./prompt.js";
import { describeWaiting, resumeValue, StaleDecisionError, UsageError } from "./resume-value.js";
import { parseSettingFlags, SETTING_FLAGS_HELP } from "./settings-flags.js";
import { streamRun } from "./stream.js";
import { reportCommand, writeRunReports } from "./report.js";
import {
  threadLeasesFor,
  withThreadLease,
  ThreadBusyError,
  type ThreadLease,
  type ThreadLeases,
} from "../runs/lease.js";

const USAGE = `Usage: plan-execute <command> [options]
  run "<goal>" [--thread ID] [--approve-plan] [--auto-approve LOW|MEDIUM|HIGH] [settings]
                                            a live goal (needs OPENAI_API_KEY or OPENAI_BASE_URL)
  demo [scenario ...] [--no-latency] [--live-local] [settings]
                                            offline scenarios: ${SCENARIOS.map((s) => s.name).join(", ")}
                                            (--live-local: through ChatOpenAI and a local OpenAI-compatible server)
  resume <thread> [--approve | --reject "<why>" | --edit '<json>'] [--step ID] [--stop ID] [--raise KEY=N] [--finish]
  threads | show <thread> | history <thread> | fork <thread> --checkpoint ID [--thread NEW]
  report <thread> [--out report.html] [--svg timeline.svg] [--open]
                                            a self-contained HTML report: plan graph, timeline, tokens, audit
  (run, demo, resume: --report FILE writes the report when the command ends)
Settings (run, demo): ${SETTING_FLAGS_HELP}
Options: --db FILE (default .plan-execute/checkpoints.sqlite)  --checkpointer postgres://…  --outbox DIR  --json
Exit codes: 0 finished, 1 the run failed, 2 bad usage or configuration, 3 waiting for approval,
  4 the thread is busy (another run holds it; --wait waits for it).`;

const out = { write: (text: string) => void process.stdout.write(text) };

type Flags = ReturnType<typeof parse>["values"];

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      thread: { type: "string" },
      db: { type: "string" },
      checkpointer: { type: "string" },
      outbox: { type: "string" },
      "approve-plan": { type: "boolean", default: false },
      "auto-approve": { type: "string" },
      "no-latency": { type: "boolean", default: false },
      "live-local": { type: "boolean", default: false },
      approve: { type: "boolean", default: false },
      reject: { type: "string" },
      edit: { type: "string" },
      step: { type: "string" },
      raise: { type: "string", multiple: true },
      finish: { type: "boolean", default: false },
      checkpoint: { type: "string" },
      stop: { type: "string" },
      wait: { type: "boolean", default: false },
      set: { type: "string", multiple: true },
      "max-tokens": { type: "string" },
      "max-cost-usd": { type: "string" },
      "max-steps-executed": { type: "string" },
      "max-wall-ms": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      report: { type: "string" },
      out: { type: "string" },
      svg: { type: "string" },
      open: { type: "boolean", default: false },
    },
  });
}

interface Cli {
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

async function main(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (flags.help || command === undefined) {
    out.write(`${USAGE}\n`);
    return flags.help ? 0 : 2;
  }
  const commands: Record<string, (cli: Cli, args: string[]) => Promise<number>> = {
    run,
    demo,
    resume,
    threads,
    show,
    history,
    fork,
    report: (cli, [threadId]) => reportCommand(reader(cli), threadId, cli.flags, out, cli.db.where),
  };
  const handler = commands[command];
  if (!handler) throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  const db = await openCheckpointer({ db: flags.db, url: flags.checkpointer ?? readEnv().databaseUrl });
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !flags.json;
  const leases = threadLeasesFor(db.saver, {
    db: db.where,
    url: flags.checkpointer ?? readEnv().databaseUrl,
  });
  const cli: Cli = { flags, db, leases, interactive, cleanup: [], touched: [] };
  try {
    return await handler(cli, rest);
  } finally {
    if (flags.report && command !== "report")
      await writeRunReports(reader(cli), cli.touched, flags.report, out, flags.json);
    for (const close of cli.cleanup) await close();
    // Leases first: the SQLite ones may live on the checkpointer's connection.
    await leases?.close();
    await db.close();
  }
}

function runContext(flags: Flags): PlanExecuteContext {
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

/**
 * The agent for a thread: a demo thread gets its scenario's script (continued where it stopped),
 * through the local OpenAI-compatible server when it runs live-local; other threads the live models.
 */
async function agentFor(cli: Cli, goal: string, state?: PlanExecuteStateType): Promise<PlanExecuteAgent> {
  const scenario = scenarioForGoal(goal);
  if (scenario) {
    const options = {
      checkpointer: cli.db.saver,
      outbox: outboxOf(cli),
      workspace: workspaceOf(),
      latency: !cli.flags["no-latency"],
      answered: state?.usage,
    };
    if (!(state ? isLocalModelRun(state.settings ?? state.runSettings) : cli.flags["live-local"])) {
      return createScenarioAgent(scenario, options);
    }
    const server = await serveScenario(scenario, { answered: state?.usage, chunkDelayMs: 15 });
    cli.cleanup.push(() => server.close());
    if (!cli.flags.json) out.write(`models: ChatOpenAI → local OpenAI-compatible server ${server.url}\n`);
    return createScenarioAgent(scenario, { ...options, models: openAIModelProvider(localServerEnv(server)) });
  }
  const env = readEnv();
  if (!hasLiveModel(env)) {
    throw new UsageError(
      "no model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server); `plan-execute demo` runs offline",
    );
  }
  const tools = createLiveTools(env, { outbox: outboxOf(cli) });
  return createPlanExecuteAgent({ checkpointer: cli.db.saver, tools });
}

/** The data and file tools' folder: PLAN_EXECUTE_WORKSPACE, else `.plan-execute/workspace`. */
function workspaceOf(): string {
  return readEnv().workspace ?? DEFAULT_WORKSPACE;
}

/** send_email's folder: --outbox, else PLAN_EXECUTE_OUTBOX, else `.plan-execute/outbox`. */
function outboxOf(cli: Cli): string {
  return cli.flags.outbox ?? readEnv().outbox ?? DEFAULT_OUTBOX;
}

/** Reads threads without running anything (no model is called). */
function reader(cli: Cli): PlanExecuteAgent {
  return buildPlanExecuteGraph({
    models: fixedModelProvider(scriptedRoles({})),
    tools: new ToolRegistry(),
  }).compile({ checkpointer: cli.db.saver });
}

async function loadThread(
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

/** Runs to the end or a stop; at a stop on a terminal it asks, otherwise it says how to resume (exit 3). */
async function drive(
  cli: Cli,
  lease: ThreadLease,
  agent: PlanExecuteAgent,
  input: { goal: string } | Command | null,
  threadId: string,
  context?: PlanExecuteContext,
) {
  let next = input;
  for (;;) {
    const { state, pending } = await streamRun(agent, next, {
      threadId,
      context: next === input ? context : undefined,
      signal: lease.signal,
      json: cli.flags.json,
      tty: cli.interactive,
      out,
    });
    const waiting = pending[0];
    if (!waiting) return finish(cli, state, threadId);
    if (cli.interactive) {
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

function finish(cli: Cli, state: PlanExecuteStateType, threadId: string): number {
  if (cli.flags.json)
    out.write(
      `${JSON.stringify({ thread: threadId, type: "done", answer: state.finalAnswer, error: state.error })}\n`,
    );
  if (state.error) process.stderr.write(`error: ${state.error}\n`);
  else if (!cli.interactive && !cli.flags.json && state.finalAnswer === null)
    process.stderr.write("error: the run ended without an answer\n");
  return state.error === null && state.finalAnswer !== null ? 0 : 1;
}

async function run(cli: Cli, args: string[]): Promise<number> {
  const goal = args.join(" ").trim();
  if (goal === "") throw new UsageError(`run needs a goal\n${USAGE}`);
  const threadId = cli.flags.thread ?? randomUUID();
  const context = runContext(cli.flags);
  return exclusive(cli, threadId, async (lease) => {
    await refuseUnfinished(cli, threadId);
    const agent = await agentFor(cli, goal);
    if (!cli.flags.json) out.write(`thread ${threadId}\n`);
    return drive(cli, lease, agent, { goal }, threadId, context);
  });
}

/** How long `--wait` waits for a busy thread. */
const WAIT_FOR_THREAD_MS = 60 * 60_000;

/**
 * Runs `fn` as the thread's only writer: a second run or resume of a busy thread fails at once
 * with {@link ThreadBusyError} (exit 4), or waits for it with `--wait`. Whatever `fn` reads of the
 * thread, it reads after the lease is held, so it sees what the previous holder left.
 */
function exclusive<T>(cli: Cli, threadId: string, fn: (lease: ThreadLease) => Promise<T>): Promise<T> {
  cli.touched.push(threadId);
  return withThreadLease(cli.leases, threadId, fn, cli.flags.wait ? { waitMs: WAIT_FOR_THREAD_MS } : {});
}

/**
 * A new goal on a thread starts a clean run (its old run stays in the history). A thread whose run
 * is not finished — waiting for a decision or stopped mid-way — is not silently abandoned.
 */
async function refuseUnfinished(cli: Cli, threadId: string): Promise<void> {
  const view = await readThread(reader(cli), threadId).catch(() => null);
  if (view && (view.status === "waiting" || view.status === "interrupted")) {
    throw new UsageError(
      `thread ${threadId} has an unfinished run (${view.status}: "${view.state.goal.slice(0, 60)}"); resume it with \`plan-execute resume ${threadId}\`, or give the new goal another --thread`,
    );
  }
}

async function demo(cli: Cli, names: string[]): Promise<number> {
  const scenarios = names.length ? names.map(scenarioByName) : [...SCENARIOS];
  let worst = 0;
  for (const scenario of scenarios) {
    const threadId =
      names.length === 1 && cli.flags.thread
        ? cli.flags.thread
        : `demo-${scenario.name}-${randomUUID().slice(0, 8)}`;
    if (!cli.flags.json)
      out.write(`\n━━ ${scenario.name}: ${scenario.title}\nGoal: ${scenario.goal}\nthread ${threadId}\n\n`);
    const context = {
      ...scenario.context,
      ...(cli.flags["live-local"] ? localModelSettings() : {}),
      ...runContext(cli.flags),
    };
    const code = await exclusive(cli, threadId, async (lease) => {
      await refuseUnfinished(cli, threadId);
      await scenario.prepare?.(workspaceOf());
      const agent = await agentFor(cli, scenario.goal);
      return drive(cli, lease, agent, { goal: scenario.goal }, threadId, context);
    });
    worst = Math.max(worst, code);
  }
  return worst;
}

function scenarioByName(name: string) {
  const scenario = findScenario(name);
  if (!scenario)
    throw new UsageError(
      `unknown scenario "${name}"; choose from ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  return scenario;
}

async function resume(cli: Cli, [threadId]: string[]): Promise<number> {
  if (!threadId) throw new UsageError("name a thread (see `plan-execute threads`)");
  await loadThread(cli, threadId);
  return exclusive(cli, threadId, (lease) => resumeHeld(cli, lease, threadId));
}

/** `resume` once the thread's lease is held: reads the stop now, so a decision meets the stop it was made for. */
async function resumeHeld(cli: Cli, lease: ThreadLease, threadId: string): Promise<number> {
  const view = await loadThread(cli, threadId);
  const id = view.threadId;
  const agent = await agentFor(cli, view.state.goal, view.state);
  const f = cli.flags;
  const decided =
    f.approve || f.reject !== undefined || f.edit !== undefined || f.finish || (f.raise ?? []).length > 0;
  if (!decided) {
    if (view.next.length === 0) return finish(cli, view.state, id);
    return drive(cli, lease, agent, null, id);
  }
  const request = view.pending[0];
  if (!request) throw new UsageError(`thread ${id} is not waiting for a decision (it is ${view.status})`);
  let value: unknown;
  try {
    value = resumeValue(request, {
      approve: f.approve,
      reject: f.reject,
      edit: f.edit,
      step: f.step,
      raise: f.raise,
      finish: f.finish,
      stop: f.stop,
    });
  } catch (err) {
    if (err instanceof StaleDecisionError) process.stderr.write(`${describeWaiting(id, request)}\n`);
    throw err;
  }
  return drive(cli, lease, agent, new Command({ resume: value }), id);
}

async function threads(cli: Cli): Promise<number> {
  const rows = await listThreads(reader(cli), cli.db.saver);
  for (const r of rows) {
    const row = { thread: r.threadId, goal: r.goal, status: r.status, updated: r.updatedAt };
    out.write(
      cli.flags.json
        ? `${JSON.stringify(row)}\n`
        : `${r.threadId}  ${r.status.padEnd(11)}  ${r.updatedAt}  ${r.goal.slice(0, 70)}\n`,
    );
  }
  return 0;
}

async function show(cli: Cli, [threadId]: string[]): Promise<number> {
  const view = await loadThread(cli, threadId);
  const { state } = view;
  if (cli.flags.json) {
    const row = { thread: view.threadId, status: view.status, ...state, pending: view.pending };
    out.write(`${JSON.stringify(row)}\n`);
    return 0;
  }
  out.write(`thread ${view.threadId} (${view.status})\nGoal: ${state.goal}\n`);
  if (state.forkedFrom)
    out.write(`Forked from ${state.forkedFrom.threadId} at checkpoint ${state.forkedFrom.checkpointId}\n`);
  out.write(`\nPlan v${state.planVersion}:\n`);
  for (const step of state.plan) {
    const r = state.steps[step.id];
    out.write(
      `  ${step.id.padEnd(8)} ${step.tool.padEnd(12)} ${(r?.status ?? "pending").padEnd(9)} ${r?.error ?? ""}\n`,
    );
  }
  for (const request of view.pending) out.write(`\n${describeWaiting(view.threadId, request)}\n`);
  if (state.audit.length) {
    out.write("\nAudit log:\n");
    for (const e of state.audit)
      out.write(
        `  ${new Date(e.at).toISOString()}  ${e.stepId} ${e.tool} [${e.risk}] ${e.decision}${e.reason ? ` (${e.reason})` : ""} ${JSON.stringify(e.args)}\n`,
      );
  }
  if (state.finalAnswer) out.write(`\nAnswer:\n${state.finalAnswer}\n`);
  if (state.error) out.write(`\nError: ${state.error}\n`);
  return 0;
}

async function history(cli: Cli, [threadId]: string[]): Promise<number> {
  const view = await loadThread(cli, threadId);
  const { entries, forkedFrom } = await threadHistory(reader(cli), view.threadId);
  for (const e of entries) {
    const row = {
      checkpoint: e.checkpointId,
      step: e.step,
      source: e.source,
      next: e.next,
      created: e.createdAt,
      waiting: e.waiting,
    };
    const next = `${row.next.join(",") || "-"}${row.waiting ? " (waiting)" : ""}`;
    out.write(
      cli.flags.json
        ? `${JSON.stringify(row)}\n`
        : `${row.checkpoint}  step ${String(row.step).padStart(3)}  ${String(row.source).padEnd(6)}  next: ${next}  ${row.created}\n`,
    );
  }
  if (forkedFrom) {
    const from = { thread: forkedFrom.threadId, checkpoint: forkedFrom.checkpointId };
    out.write(
      cli.flags.json
        ? `${JSON.stringify({ forkedFrom: from })}\n`
        : `forked from ${from.thread} at checkpoint ${from.checkpoint}\n`,
    );
  }
  return 0;
}

/**
 * Time travel: a new thread that starts from one checkpoint of another (the original is
 * untouched). A stop there becomes the fork's own stop, answered with the fork's own decision.
 */
async function fork(cli: Cli, [threadId]: string[]): Promise<number> {
  const checkpointId = cli.flags.checkpoint;
  if (!checkpointId) throw new UsageError("fork needs --checkpoint ID (see `plan-execute history <thread>`)");
  await loadThread(cli, threadId, checkpointId);
  const newThreadId = cli.flags.thread ?? randomUUID();
  const forked = await exclusive(cli, newThreadId, () =>
    forkThread(reader(cli), { threadId: threadId as string, checkpointId, newThreadId }),
  );
  if (cli.flags.json) {
    const from = { thread: threadId, checkpoint: checkpointId };
    out.write(
      `${JSON.stringify({ thread: forked.threadId, status: forked.status, from, pending: forked.pending })}\n`,
    );
    return 0;
  }
  out.write(`forked ${threadId}@${checkpointId} → ${forked.threadId} (${forked.status})\n`);
  for (const request of forked.pending) out.write(`\n${describeWaiting(forked.threadId, request)}\n`);
  if (forked.pending.length === 0) out.write(`Continue with: plan-execute resume ${forked.threadId}\n`);
  return 0;
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
    const e = err as Error & { code?: string };
    if (err instanceof ThreadBusyError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 4;
      return;
    }
    const usage =
      err instanceof UsageError ||
      err instanceof CheckpointerConfigError ||
      err instanceof EnvConfigError ||
      e.code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
