#!/usr/bin/env node
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { Command } from "@langchain/langgraph";
import { createPlanExecuteAgent, type PlanExecuteAgent } from "../agent.js";
import { EnvConfigError, hasLiveModel, readEnv } from "../config/env.js";
import type { PlanExecuteContext } from "../graph/context.js";
import { buildPlanExecuteGraph } from "../graph/builder.js";
import type { PlanExecuteStateType } from "../graph/state.js";
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
import { describeWaiting, resumeValue, UsageError } from "./resume-value.js";
import { streamRun } from "./stream.js";

const USAGE = `Usage: plan-execute <command> [options]
  run "<goal>" [--thread ID] [--approve-plan] [--auto-approve LOW|MEDIUM|HIGH]   a live goal (needs OPENAI_API_KEY or OPENAI_BASE_URL)
  demo [scenario ...] [--no-latency] [--live-local]   offline scenarios: ${SCENARIOS.map((s) => s.name).join(", ")}
                                            (--live-local: through ChatOpenAI and a local OpenAI-compatible server)
  resume <thread> [--approve | --reject "<why>" | --edit '<json>'] [--step ID] [--raise KEY=N] [--finish]
  threads | show <thread> | history <thread> | fork <thread> --checkpoint ID
Options: --db FILE (default .plan-execute/checkpoints.sqlite)  --checkpointer postgres://…  --outbox DIR  --json
Exit codes: 0 finished, 1 the run failed, 2 bad usage or configuration, 3 waiting for approval.`;

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
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

interface Cli {
  flags: Flags;
  db: OpenedCheckpointer;
  interactive: boolean;
  /** Run when the command ends (e.g. stopping a local model server). */
  cleanup: (() => Promise<void>)[];
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
  };
  const handler = commands[command];
  if (!handler) throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  const db = await openCheckpointer({ db: flags.db, url: flags.checkpointer ?? readEnv().databaseUrl });
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !flags.json;
  const cli: Cli = { flags, db, interactive, cleanup: [] };
  try {
    return await handler(cli, rest);
  } finally {
    for (const close of cli.cleanup) await close();
    await db.close();
  }
}

function runContext(flags: Flags): PlanExecuteContext {
  const auto = flags["auto-approve"];
  if (auto !== undefined && !["LOW", "MEDIUM", "HIGH"].includes(auto)) {
    throw new UsageError(`--auto-approve takes LOW, MEDIUM or HIGH (got "${auto}")`);
  }
  return {
    ...(flags["approve-plan"] ? { approvePlan: "always" as const } : {}),
    ...(auto ? { autoApprove: auto as "LOW" | "MEDIUM" | "HIGH" } : {}),
  };
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
    if (!(state ? isLocalModelRun(state.runSettings) : cli.flags["live-local"])) {
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

async function loadThread(cli: Cli, threadId: string | undefined) {
  if (!threadId) throw new UsageError("name a thread (see `plan-execute threads`)");
  const snapshot = await reader(cli).getState({ configurable: { thread_id: threadId } });
  if (!snapshot.createdAt) throw new UsageError(`no thread "${threadId}" in ${cli.db.where}`);
  return snapshot;
}

/** Runs to the end or a stop; at a stop on a terminal it asks, otherwise it says how to resume (exit 3). */
async function drive(
  cli: Cli,
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
  const agent = await agentFor(cli, goal);
  if (!cli.flags.json) out.write(`thread ${threadId}\n`);
  return drive(cli, agent, { goal }, threadId, runContext(cli.flags));
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
    await scenario.prepare?.(workspaceOf());
    const code = await drive(cli, await agentFor(cli, scenario.goal), { goal: scenario.goal }, threadId, {
      ...scenario.context,
      ...(cli.flags["live-local"] ? localModelSettings() : {}),
      ...runContext(cli.flags),
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
  const snapshot = await loadThread(cli, threadId);
  const state = snapshot.values as PlanExecuteStateType;
  const agent = await agentFor(cli, state.goal, state);
  const request = snapshot.tasks.flatMap((t) => t.interrupts)[0]?.value as
    Parameters<typeof resumeValue>[0] | undefined;
  const f = cli.flags;
  const decided =
    f.approve || f.reject !== undefined || f.edit !== undefined || f.finish || (f.raise ?? []).length > 0;
  if (!request) {
    if (decided) throw new UsageError(`thread ${threadId} is not waiting for a decision`);
    if (snapshot.next.length === 0) return finish(cli, state, threadId as string);
    return drive(cli, agent, null, threadId as string);
  }
  if (!decided) return drive(cli, agent, null, threadId as string);
  const value = resumeValue(request, {
    approve: f.approve,
    reject: f.reject,
    edit: f.edit,
    step: f.step,
    raise: f.raise,
    finish: f.finish,
  });
  return drive(cli, agent, new Command({ resume: value }), threadId as string);
}

function statusOf(snapshot: { next: string[]; tasks: { interrupts: unknown[] }[]; values: unknown }): string {
  const state = snapshot.values as PlanExecuteStateType;
  if (snapshot.tasks.some((t) => t.interrupts.length > 0)) return "waiting";
  if (snapshot.next.length > 0) return "interrupted";
  if (state.error) return "failed";
  return state.finalAnswer !== null ? "finished" : "unknown";
}

async function threads(cli: Cli): Promise<number> {
  const seen = new Map<string, string>();
  for await (const tuple of cli.db.saver.list({})) {
    const id = tuple.config.configurable?.thread_id as string | undefined;
    if (id && !seen.has(id)) seen.set(id, tuple.checkpoint.ts);
  }
  const rows = [];
  for (const [id, updated] of seen) {
    const snapshot = await reader(cli).getState({ configurable: { thread_id: id } });
    const state = snapshot.values as PlanExecuteStateType;
    rows.push({ thread: id, goal: state.goal, status: statusOf(snapshot), updated });
  }
  rows.sort((a, b) => b.updated.localeCompare(a.updated));
  if (cli.flags.json) for (const r of rows) out.write(`${JSON.stringify(r)}\n`);
  else
    for (const r of rows)
      out.write(`${r.thread}  ${r.status.padEnd(11)}  ${r.updated}  ${r.goal.slice(0, 70)}\n`);
  return 0;
}

async function show(cli: Cli, [threadId]: string[]): Promise<number> {
  const snapshot = await loadThread(cli, threadId);
  const state = snapshot.values as PlanExecuteStateType;
  const pending = snapshot.tasks.flatMap((t) => t.interrupts.map((i) => i.value));
  if (cli.flags.json) {
    out.write(`${JSON.stringify({ thread: threadId, status: statusOf(snapshot), ...state, pending })}\n`);
    return 0;
  }
  out.write(
    `thread ${threadId} (${statusOf(snapshot)})\nGoal: ${state.goal}\n\nPlan v${state.planVersion}:\n`,
  );
  for (const step of state.plan) {
    const r = state.steps[step.id];
    out.write(
      `  ${step.id.padEnd(8)} ${step.tool.padEnd(12)} ${(r?.status ?? "pending").padEnd(9)} ${r?.error ?? ""}\n`,
    );
  }
  for (const request of pending) out.write(`\n${describeWaiting(threadId as string, request as never)}\n`);
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
  await loadThread(cli, threadId);
  for await (const s of reader(cli).getStateHistory({ configurable: { thread_id: threadId } })) {
    const row = {
      checkpoint: s.config.configurable?.checkpoint_id,
      step: s.metadata?.step,
      source: s.metadata?.source,
      next: s.next,
      created: s.createdAt,
    };
    out.write(
      cli.flags.json
        ? `${JSON.stringify(row)}\n`
        : `${row.checkpoint}  step ${String(row.step).padStart(3)}  ${String(row.source).padEnd(6)}  next: ${row.next.join(",") || "-"}  ${row.created}\n`,
    );
  }
  return 0;
}

/** Time travel: a new thread that starts from one checkpoint of another (the original is untouched). */
async function fork(cli: Cli, [threadId]: string[]): Promise<number> {
  await loadThread(cli, threadId);
  const checkpointId = cli.flags.checkpoint;
  if (!checkpointId) throw new UsageError("fork needs --checkpoint ID (see `plan-execute history <thread>`)");
  const tuple = await cli.db.saver.getTuple({
    configurable: { thread_id: threadId, checkpoint_ns: "", checkpoint_id: checkpointId },
  });
  if (!tuple) throw new UsageError(`thread ${threadId} has no checkpoint ${checkpointId}`);
  const newThread = cli.flags.thread ?? randomUUID();
  const saved = await cli.db.saver.put(
    { configurable: { thread_id: newThread, checkpoint_ns: "" } },
    tuple.checkpoint,
    { ...tuple.metadata, source: "fork", step: tuple.metadata?.step ?? -1, parents: {} },
    tuple.checkpoint.channel_versions,
  );
  const writesByTask = new Map<string, [string, unknown][]>();
  for (const [taskId, channel, value] of tuple.pendingWrites ?? []) {
    writesByTask.set(taskId, [...(writesByTask.get(taskId) ?? []), [channel, value]]);
  }
  for (const [taskId, writes] of writesByTask) await cli.db.saver.putWrites(saved, writes, taskId);
  out.write(
    cli.flags.json
      ? `${JSON.stringify({ thread: newThread, from: { thread: threadId, checkpoint: checkpointId } })}\n`
      : `forked ${threadId}@${checkpointId} → ${newThread}\nContinue with: plan-execute resume ${newThread}\n`,
  );
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
    const usage =
      err instanceof UsageError ||
      err instanceof CheckpointerConfigError ||
      err instanceof EnvConfigError ||
      e.code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
