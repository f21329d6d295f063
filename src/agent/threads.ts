import { randomUUID } from "node:crypto";
import { Overwrite, type BaseCheckpointSaver, type StateSnapshot } from "@langchain/langgraph";
import type { ApprovalRequest } from "../core/decisions.js";
import type { PlanExecuteStateType, StepRecord } from "../core/state.js";
import { carryIntoFork, carriedFromStoppedPass } from "./fork-tasks.js";

/**
 * Thread operations shared by the CLI, Studio helpers and embedding apps: read a thread, tell its
 * status and what waits, list threads, and fork one at a checkpoint. They take any compiled
 * plan-execute graph with a checkpointer (an app's own agent, or {@link threadReader}'s).
 */
export interface ThreadGraph {
  getState(config: { configurable: Record<string, unknown> }): Promise<StateSnapshot>;
  getStateHistory(config: { configurable: Record<string, unknown> }): AsyncIterableIterator<StateSnapshot>;
  updateState(
    config: { configurable: Record<string, unknown> },
    values: Record<string, unknown> | null,
    asNode?: string,
  ): Promise<{ configurable?: Record<string, unknown> }>;
  invoke(input: null, config: Record<string, unknown>): Promise<unknown>;
  /** The graph's checkpointer: {@link forkThread} reads a checkpoint's pending task writes through it. */
  checkpointer?: BaseCheckpointSaver | boolean;
}

export type ThreadStatus = "waiting" | "interrupted" | "running" | "finished" | "failed" | "unknown";

export interface ThreadView {
  threadId: string;
  checkpointId: string | undefined;
  state: PlanExecuteStateType;
  status: ThreadStatus;
  /** The stops that wait for a person (usually one). */
  pending: ApprovalRequest[];
  /** The nodes that run next when the thread is resumed. */
  next: string[];
  createdAt: string | undefined;
}

export class ThreadNotFoundError extends Error {
  override name = "ThreadNotFoundError";
}

const configOf = (threadId: string, checkpointId?: string) => ({
  configurable: { thread_id: threadId, ...(checkpointId ? { checkpoint_id: checkpointId } : {}) },
});

/**
 * What a thread is doing: waiting (a stop for a person), interrupted (stopped between nodes, e.g.
 * by a crash or `interruptBefore`: a resume continues), finished, or failed.
 */
export function statusOf(snapshot: Pick<StateSnapshot, "next" | "tasks" | "values">): ThreadStatus {
  const state = snapshot.values as Partial<PlanExecuteStateType>;
  if (snapshot.tasks.some((t) => (t.interrupts ?? []).length > 0)) return "waiting";
  if (snapshot.next.length > 0) return "interrupted";
  if (state.error) return "failed";
  return state.finalAnswer != null ? "finished" : "unknown";
}

function viewOf(threadId: string, snapshot: StateSnapshot): ThreadView {
  return {
    threadId,
    checkpointId: snapshot.config.configurable?.checkpoint_id as string | undefined,
    state: snapshot.values as PlanExecuteStateType,
    status: statusOf(snapshot),
    pending: snapshot.tasks.flatMap((t) => (t.interrupts ?? []).map((i) => i.value as ApprovalRequest)),
    next: [...snapshot.next],
    createdAt: snapshot.createdAt,
  };
}

/** A thread's latest state (or the one at `checkpointId`); throws {@link ThreadNotFoundError}. */
export async function readThread(
  graph: ThreadGraph,
  threadId: string,
  checkpointId?: string,
): Promise<ThreadView> {
  const snapshot = await graph.getState(configOf(threadId, checkpointId));
  if (!snapshot.createdAt) {
    throw new ThreadNotFoundError(
      checkpointId ? `thread ${threadId} has no checkpoint ${checkpointId}` : `no thread "${threadId}"`,
    );
  }
  return viewOf(threadId, snapshot);
}

export interface ThreadSummary {
  threadId: string;
  goal: string;
  status: ThreadStatus;
  updatedAt: string;
}

/** Every thread in the checkpointer, newest first. */
export async function listThreads(graph: ThreadGraph, saver: BaseCheckpointSaver): Promise<ThreadSummary[]> {
  const latest = new Map<string, string>();
  for await (const tuple of saver.list({})) {
    const id = tuple.config.configurable?.thread_id as string | undefined;
    if (id && !latest.has(id) && !tuple.config.configurable?.checkpoint_ns)
      latest.set(id, tuple.checkpoint.ts);
  }
  const rows: ThreadSummary[] = [];
  for (const [threadId, updatedAt] of latest) {
    const view = await readThread(graph, threadId).catch(() => null);
    if (view) rows.push({ threadId, goal: view.state.goal ?? "", status: view.status, updatedAt });
  }
  return rows.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}

export interface HistoryEntry {
  checkpointId: string;
  step: number | undefined;
  source: string | undefined;
  next: string[];
  createdAt: string | undefined;
  /** Stops that were waiting at this checkpoint. */
  waiting: boolean;
}

/** A thread's checkpoints, newest first, and the thread and checkpoint it was forked from. */
export async function threadHistory(
  graph: ThreadGraph,
  threadId: string,
): Promise<{ entries: HistoryEntry[]; forkedFrom: PlanExecuteStateType["forkedFrom"] }> {
  const view = await readThread(graph, threadId);
  const entries: HistoryEntry[] = [];
  for await (const s of graph.getStateHistory(configOf(threadId))) {
    entries.push({
      checkpointId: s.config.configurable?.checkpoint_id as string,
      step: s.metadata?.step,
      source: s.metadata?.source,
      next: [...s.next],
      createdAt: s.createdAt,
      waiting: s.tasks.some((t) => (t.interrupts ?? []).length > 0),
    });
  }
  return { entries, forkedFrom: view.state.forkedFrom ?? null };
}

/** Nodes that do work; a fork never runs them by itself (only the stop it starts at). */
const WORK_NODES = ["start", "planner", "executor", "evaluator", "replanner", "synthesizer", "review_answer"];

/**
 * Time travel into a new thread: it starts from the state of `threadId` at `checkpointId`, and
 * the source thread is left alone. Built on LangGraph's own `updateState`, applied as the node
 * that wrote that checkpoint, so LangGraph itself works out what runs next — nothing of the
 * source's pending writes is carried over, so a decision given there is never replayed here.
 *
 * - Steps finished at that checkpoint stay finished and never run again; the rest run. That
 *   includes steps that finished in an executor pass that stopped there (an `interrupt()` inside a
 *   step, or a crash): their results are pending task writes, not records yet, and are carried into
 *   the fork so its executor reads them back as a resume would; so are the model turns and tool
 *   calls a sub-agent step finished before it stopped at a call there (see `fork-tasks.ts`, also for
 *   what is not carried: a step that started and never finished, and what the source did after
 *   answering a stop at that checkpoint).
 * - A decision that was made but not yet acted on (a step approved but not run) is reopened:
 *   the fork stops for a decision of its own, and its audit log records that decision.
 * - The fork is a new run (a new run id), so its stops have ids of their own and a tool's
 *   idempotency key differs from the source's.
 * - If the checkpoint was a stop, the fork stops there too, ready for `Command({ resume })`.
 */
export async function forkThread(
  graph: ThreadGraph,
  options: { threadId: string; checkpointId: string; newThreadId?: string },
): Promise<ThreadView> {
  const source = await readThread(graph, options.threadId, options.checkpointId);
  const newThreadId = options.newThreadId ?? randomUUID();
  const existing = await graph.getState(configOf(newThreadId));
  if (existing.createdAt) throw new Error(`thread ${newThreadId} already exists; fork into a new thread id`);
  const target = configOf(newThreadId);
  const snapshot = await graph.getState(configOf(options.threadId, options.checkpointId));
  const forkedFrom = { threadId: options.threadId, checkpointId: options.checkpointId };
  const saver = typeof graph.checkpointer === "object" ? graph.checkpointer : undefined;
  if (!saver && snapshot.tasks.some((t) => t.name === "executor")) {
    throw new Error("forkThread needs the graph's checkpointer to fork where the executor runs next");
  }
  // Steps that finished in an executor pass that stopped here, and the finished turns and calls of
  // its sub-agent steps that did not: carried into the fork below.
  const carried = saver ? await carriedFromStoppedPass(saver, snapshot) : [];
  // A decided step whose task finished in that pass was acted on: it is not reopened.
  const ranIds = new Set(carried.filter((c) => c.outcome !== null).map((c) => c.stepId));
  if (snapshot.metadata?.source === "input" || !snapshot.parentConfig) {
    // The run's input: the fork starts the same goal from the beginning. At the input checkpoint
    // itself the goal is not in the state yet: it is the input, the pending write of `__start__`.
    const given = snapshot.tasks.find((t) => t.name === "__start__")?.result as
      Partial<Pick<PlanExecuteStateType, "goal" | "runSettings">> | undefined;
    const goal = source.state.goal ?? given?.goal;
    if (typeof goal !== "string") throw new Error(`checkpoint ${options.checkpointId} holds no goal to fork`);
    const input = { goal, runSettings: source.state.runSettings ?? given?.runSettings ?? null, forkedFrom };
    await graph.updateState(target, input, "__input__");
  } else {
    const parent = await graph.getState(snapshot.parentConfig as { configurable: Record<string, unknown> });
    const asNode = parent.next[0];
    if (!asNode) throw new Error(`cannot tell which node wrote checkpoint ${options.checkpointId}`);
    const { steps, ...values } = forkValues(source.state, forkedFrom, ranIds);
    await graph.updateState(target, values, asNode);
    // The step records in an update of their own: \`steps\` is stored as deltas, and LangGraph keeps a
    // delta channel's update only on a thread that already has a checkpoint (on a new thread's first
    // update it is lost). An Overwrite, so the fork's records are exactly the source's.
    await graph.updateState(target, { steps: new Overwrite(steps) }, asNode);
  }
  if (carried.length > 0) {
    // At the fork's checkpoint where its executor runs next (the routing is the source's, checked below).
    await carryIntoFork(saver!, await graph.getState(target), carried);
  }
  let forked = await readThread(graph, newThreadId);
  const reopened = hasReopenedDecision(source.state, ranIds);
  // Routing is worked out again from the state; only a reopened decision may change where it goes.
  if (!reopened && forked.next.join() !== source.next.join()) {
    throw new Error(
      `the fork would continue with ${forked.next.join(",") || "nothing"}, not ${source.next.join(",") || "nothing"} as the source did`,
    );
  }
  // Reach the stop, so the fork shows what waits, as the source did — only when a stop node runs
  // next: a stop inside a work node (an interrupt() in the executor) is reached when the fork is
  // resumed. (`interruptBefore` alone does not hold a work node back: the first node a resume runs
  // is never interrupted before.)
  const stopNext = forked.next.length > 0 && forked.next.every((n) => !WORK_NODES.includes(n));
  if ((source.pending.length > 0 || reopened) && stopNext) {
    await graph.invoke(null, { ...target, interruptBefore: WORK_NODES });
    forked = await readThread(graph, newThreadId);
  }
  return forked;
}

function hasReopenedDecision(state: PlanExecuteStateType, ran: ReadonlySet<string>): boolean {
  return Object.values(state.steps ?? {}).some((r) => !ran.has(r.id) && isDecidedButNotRun(r));
}

function isDecidedButNotRun(record: StepRecord): boolean {
  return (
    record.status === "pending" &&
    (record.approval?.status === "approved" || record.approval?.status === "edited")
  );
}

function forkValues(
  state: PlanExecuteStateType,
  forkedFrom: { threadId: string; checkpointId: string },
  ran: ReadonlySet<string>,
): Record<string, unknown> {
  const steps: Record<string, StepRecord> = {};
  for (const [id, record] of Object.entries(state.steps ?? {})) {
    steps[id] =
      !ran.has(id) && isDecidedButNotRun(record)
        ? { ...record, approval: { ...record.approval!, status: "waiting", reason: null, decidedAt: null } }
        : record;
  }
  return { ...state, steps, runId: randomUUID(), forkedFrom };
}
