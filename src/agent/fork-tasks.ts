import {
  uuid5,
  type BaseCheckpointSaver,
  type CheckpointPendingWrite,
} from "@langchain/langgraph-checkpoint";
import type { StateSnapshot } from "@langchain/langgraph";
import { stepRecordOf, type PlanExecuteStateType } from "../core/state.js";
import type { PlanStep } from "../plan/schema.js";
import { stepRunName } from "../tracing/step-runs.js";

/**
 * Finished steps a fork carries over from a stop (or a crash) inside the executor.
 *
 * The executor runs each step as a `task()` of its node. When the node stops part-way — an
 * `interrupt()` inside a step (a sub-agent's HIGH call, a tool that asks a person), or the process
 * dies — the steps that finished in that pass exist at the checkpoint only as their tasks' pending
 * writes (`__return__`), not yet as records in `steps`: the node writes records when the whole pass
 * ends. A resume of the same thread reads those writes back by task id instead of running the steps
 * again. A fork is a new thread with checkpoints of its own, so the task ids its executor computes
 * differ, and without this it would run those steps a second time.
 *
 * So the fork finds each finished step's result among the source checkpoint's pending writes, under
 * the task id LangGraph gave the step's task there, and writes it at the fork's checkpoint under the
 * task id the fork's executor will compute for the same step. The fork's executor then reads it back
 * exactly as a resume does, and writes the records itself (status, output, attempts, timings, usage,
 * audit), with the risk tiers of its own tool registry. Besides those results and a stopped
 * sub-agent's turns and calls (below), nothing is carried: no decision (a `__resume__` value), no
 * interrupt, no start marker.
 *
 * - A step that *started* but did not finish there (the process died while it ran) has no result to
 *   carry: it runs again in the fork, as it would on a resume of the source after a crash. Its start
 *   markers are not carried either, so the fork does not count that start against `maxStepCrashes`
 *   (the fork is a new run with a new run id, and so a new idempotency key for the tool).
 * - A sub-agent step that stopped at a call (its HIGH call waits for a person) carries its nested
 *   tasks instead: the finished model turns and tool calls it made before the stop. They are found
 *   the same way, one level down (a nested task's id derives from its parent task's namespace and
 *   path and its call index among the parent's tasks), by walking the step's call counter with the
 *   names the sub-agent gives them (`<step> turn <t>`, `<step> call <k> <tool>`). The fork's
 *   sub-agent reads them back, asks the model nothing and runs no tool again up to the stop, and
 *   stops there for a decision of its own.
 * - What the source did after answering a stop at this checkpoint is not carried: its writes go to
 *   the same checkpoint. Once there is a `__resume__` write, the steps stopped there and the steps
 *   that depend on them carry no result, and a stopped sub-agent carries only what it did before
 *   its first decided call (its result's `subAgentCalls` says which). If that cannot be told (it
 *   answered, and the step stopped again here), the fork is refused.
 * - A result of a step or a sub-agent turn or call that is there under no id this version derives
 *   refuses the fork, as above.
 *
 * LangGraph keys a task called from a node by a uuid5 of its namespace, the step, its name, its
 * parent's path and its call index, in the checkpoint's id (`_prepareSingleTask` in
 * `@langchain/langgraph/dist/pregel/algo.js`; the call index is the parent task's call counter, see
 * `call` in `pregel/runner.js`); the executor calls its steps' tasks in plan order, one per pending
 * step, so a step's call index is its place among the pending steps, and a sub-agent calls its
 * turns and calls one after another, so theirs is their place in that row.
 */

const RETURN = "__return__";
const RESUME = "__resume__";
const ERROR = "__error__";
const INTERRUPT = "__interrupt__";
const PUSH = "__pregel_push";
const EXECUTOR = "executor";
/** How far past the last call number a sub-agent's next call task is looked for (refused and rejected calls take a number and leave no task). */
const MAX_CALL_GAP = 64;

/** A task nested in a step's task: its call index among the step's tasks, its name and its result. */
export interface CarriedTask {
  index: number;
  name: string;
  value: unknown;
}

/** What the fork takes over of one step of the stopped pass. */
export interface CarriedStep {
  stepId: string;
  /** The step's place among the pending steps: its task's call index in the executor. */
  index: number;
  name: string;
  /** The step's result, when it finished in the stopped pass (see `StepOutcome`); else null. */
  outcome: Record<string, unknown> | null;
  /** The finished model turns and tool calls of a sub-agent step that did not finish (in call order). */
  nested: CarriedTask[];
}

interface Frame {
  checkpointId: string;
  /** The loop step the executor's tasks run in. */
  step: number;
  /** The executor's own task: its id and path. */
  taskId: string;
  path: unknown[];
}

/** A task that calls tasks: its checkpoint namespace and its path, which its children's ids derive from. */
interface Parent {
  ns: string;
  path: unknown[];
}

/**
 * The id LangGraph gives the `index`-th `task()` named `name` called by `parent` at `frame`, and the
 * child as a parent of its own tasks (`_prepareSingleTask` and `call` in `pregel/algo.js` and
 * `pregel/runner.js`: the namespace is the parent's plus the name, the path is the parent's path,
 * and the index is the parent's call counter).
 */
function childTask(frame: Frame, parent: Parent, name: string, index: number): { id: string; self: Parent } {
  const ns = `${parent.ns}|${name}`;
  const id = uuid5(
    JSON.stringify([ns, String(frame.step), name, PUSH, parent.path, index]),
    frame.checkpointId,
  );
  return { id, self: { ns: `${ns}:${id}`, path: [PUSH, parent.path, index, true] } };
}

const executorTask = (frame: Frame): Parent => ({ ns: `${EXECUTOR}:${frame.taskId}`, path: frame.path });

/** The pending steps in the order the executor calls their tasks (as `createExecutorNode` does). */
function pendingSteps(state: PlanExecuteStateType) {
  return (state.plan ?? []).filter(
    (s) => (stepRecordOf(state.steps ?? {}, s.id)?.status ?? "pending") === "pending",
  );
}

/** An `llm` step with a tool allowlist: it runs as a sub-agent, with nested turn and call tasks. */
function allowlistOf(step: PlanStep): string[] | null {
  const tools = step.args?.tools;
  return Array.isArray(tools) && tools.length > 0
    ? tools.filter((t): t is string => typeof t === "string")
    : null;
}

/** A task result that is a finished step's outcome (succeeded or failed; not blocked or waiting). */
function isFinishedOutcome(value: unknown, stepId?: string): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    (v.status === "succeeded" || v.status === "failed") &&
    typeof v.id === "string" &&
    (stepId === undefined || v.id === stepId) &&
    typeof v.attempts === "number" &&
    Array.isArray(v.attemptLog)
  );
}

/** A sub-agent's saved model turn (`SavedTurn` in tools/llm.ts) or tool call (`CallResult` in execution/sub-agent.ts). */
function isNestedResult(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const turn = typeof v.text === "string" && Array.isArray(v.calls);
  const call = typeof v.ok === "boolean" && typeof v.text === "string" && Array.isArray(v.usage);
  return turn || call;
}

type Entry = CarriedTask & { id: string; kind: "turn" | "call"; n: number };

/**
 * A sub-agent step's nested tasks that have a result at the checkpoint, in call order: turns are
 * `<step> turn <t>`, calls `<step> call <k> <tool>` (see execution/sub-agent.ts). Walks the step's
 * call counter from 0 while some task name fits; a new attempt of the step starts again at turn 1.
 */
function nestedChain(
  frame: Frame,
  stepTask: Parent,
  name: string,
  allowlist: string[],
  returns: Map<string, unknown>,
  failed: ReadonlySet<string>,
): Entry[] {
  const tools = new Set(allowlist);
  const chain: Entry[] = [];
  let turn = 0;
  let call = 0;
  for (let index = 0; ; index++) {
    const candidates: { kind: "turn" | "call"; n: number; name: string }[] = [
      { kind: "turn", n: turn + 1, name: `${name} turn ${turn + 1}` },
      ...(turn > 0 ? [{ kind: "turn" as const, n: 1, name: `${name} turn 1` }] : []),
    ];
    for (let k = call + 1; k <= call + MAX_CALL_GAP; k++) {
      for (const tool of tools) candidates.push({ kind: "call", n: k, name: `${name} call ${k} ${tool}` });
    }
    const hit = candidates
      .map((c) => ({ ...c, id: childTask(frame, stepTask, c.name, index).id }))
      .find((c) => returns.has(c.id) || failed.has(c.id));
    if (!hit) return chain;
    const value = returns.get(hit.id);
    // A task that failed (its error is saved, and not read back: it runs again on a resume, and in the
    // fork) keeps its place in the row; a new attempt of the step follows it.
    if (value === undefined) {
      chain.push({ index, name: hit.name, value, id: hit.id, kind: hit.kind, n: hit.n });
      if (hit.kind === "turn") [turn, call] = [hit.n, hit.n === 1 ? 0 : call];
      else call = hit.n;
      continue;
    }
    chain.push({ index, name: hit.name, value, id: hit.id, kind: hit.kind, n: hit.n });
    if (hit.kind === "turn") {
      if (hit.n === 1) call = 0;
      turn = hit.n;
      // The tools the model asked for in this turn: the names of the calls that follow.
      const asked = (value as { calls?: { name?: unknown }[] }).calls ?? [];
      for (const c of asked) if (typeof c?.name === "string") tools.add(c.name);
    } else {
      call = hit.n;
    }
  }
}

/**
 * The part of `chain` done before the step's first stop, for a step whose stop the source answered
 * at this checkpoint (its result, written after, says which call the person decided first). Null
 * when that cannot be told.
 */
function beforeFirstDecision(chain: Entry[], outcome: unknown): Entry[] | null {
  const calls = (outcome as { subAgentCalls?: { call: number; turn: number; decision: string }[] } | null)
    ?.subAgentCalls;
  const first = calls?.find((c) => ["approved", "edited", "rejected"].includes(c.decision));
  if (!first) return null;
  // Only the step's last attempt made the calls its result records; it began at its last turn 1.
  const lastStart = chain.map((e) => e.kind === "turn" && e.n === 1).lastIndexOf(true);
  const cut = chain.findIndex(
    (e, i) =>
      i >= Math.max(lastStart, 0) &&
      ((e.kind === "call" && e.n >= first.call) || (e.kind === "turn" && e.n > first.turn)),
  );
  return cut < 0 ? chain : chain.slice(0, cut);
}

async function executorFrame(
  saver: BaseCheckpointSaver,
  snapshot: StateSnapshot,
): Promise<{ frame: Frame; writes: CheckpointPendingWrite[]; config: typeof snapshot.config } | null> {
  const task = snapshot.tasks.find((t) => t.name === EXECUTOR);
  if (!task) return null;
  const tuple = await saver.getTuple(snapshot.config);
  if (!tuple) return null;
  const frame: Frame = {
    checkpointId: tuple.checkpoint.id,
    step: (tuple.metadata?.step ?? -1) + 1,
    taskId: task.id,
    path: task.path ? [...task.path] : ["__pregel_pull", EXECUTOR],
  };
  return { frame, writes: tuple.pendingWrites ?? [], config: tuple.config };
}

/** The steps that depend, directly or not, on one of `roots`. */
function dependentsOf(plan: PlanStep[], roots: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of plan) {
      if (!out.has(s.id) && s.depends_on.some((d) => roots.has(d) || out.has(d))) {
        out.add(s.id);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * What the fork takes over from the executor pass that stopped at `snapshot` (nothing if the
 * executor is not what runs next there): the steps that finished in it, and the finished turns and
 * calls of the sub-agent steps that did not. Only what was done before the stop: if the source was
 * resumed from this checkpoint since, what the decision led to is left out. Throws if a result is
 * there but not under the task id it should have, or if what came before the stop cannot be told
 * apart from what came after: rather no fork than one that runs finished work again.
 */
export async function carriedFromStoppedPass(
  saver: BaseCheckpointSaver,
  snapshot: StateSnapshot,
): Promise<CarriedStep[]> {
  const at = await executorFrame(saver, snapshot);
  if (!at) return [];
  const state = snapshot.values as PlanExecuteStateType;
  const returns = new Map(at.writes.filter((w) => w[1] === RETURN).map((w) => [w[0], w[2]]));
  const failed = new Set(at.writes.filter((w) => w[1] === ERROR).map((w) => w[0]));
  const answered = at.writes.some((w) => w[1] === RESUME);
  const interruptedTasks = new Set(
    at.writes.filter((w) => w[1] === INTERRUPT || w[1] === RESUME).map((w) => w[0]),
  );
  const pending = pendingSteps(state);
  const root = executorTask(at.frame);
  const tasks = pending.map((step, index) => {
    const name = stepRunName(step);
    return { step, index, name, ...childTask(at.frame, root, name, index) };
  });
  // Steps stopped inside at this checkpoint; when the source answered, they and their dependents
  // may have results written after the decision.
  const stopped = new Set(tasks.filter((t) => interruptedTasks.has(t.id)).map((t) => t.step.id));
  const afterDecision = answered
    ? new Set([...stopped, ...dependentsOf(state.plan ?? [], stopped)])
    : new Set();

  const carried: CarriedStep[] = [];
  const found = new Set<string>();
  for (const t of tasks) {
    const value = returns.get(t.id);
    const finished = isFinishedOutcome(value, t.step.id);
    if (finished || value !== undefined) found.add(t.id);
    const allowlist = allowlistOf(t.step);
    let chain = allowlist ? nestedChain(at.frame, t.self, t.name, allowlist, returns, failed) : [];
    for (const e of chain) found.add(e.id);
    if (afterDecision.has(t.step.id)) {
      if (!stopped.has(t.step.id) || chain.length === 0) continue;
      const before = beforeFirstDecision(chain, value);
      if (!before) {
        throw new Error(
          `cannot fork here: ${t.step.id} stopped here and the source went on after a decision; what its sub-agent did before that stop cannot be told apart from what it did after`,
        );
      }
      chain = before;
    } else if (finished) {
      carried.push({ stepId: t.step.id, index: t.index, name: t.name, outcome: value, nested: [] });
      continue;
    }
    const nested = chain
      .filter((e) => e.value !== undefined)
      .map(({ index, name, value }) => ({ index, name, value }));
    if (nested.length > 0) {
      carried.push({ stepId: t.step.id, index: t.index, name: t.name, outcome: null, nested });
    }
  }
  const pendingIds = new Set(pending.map((s) => s.id));
  const unplaced = [...returns].filter(
    ([taskId, value]) =>
      !found.has(taskId) &&
      ((isFinishedOutcome(value) && pendingIds.has(value.id as string)) || isNestedResult(value)),
  );
  if (unplaced.length > 0) {
    const what = unplaced.map(([, v]) =>
      isFinishedOutcome(v) ? (v as { id: string }).id : "a sub-agent's turn or call",
    );
    throw new Error(
      `cannot fork here: the results of ${[...new Set(what)].join(", ")} are saved under task ids this version does not derive (a LangGraph upgrade?); the fork would run them again`,
    );
  }
  return carried;
}

/**
 * Writes `carried` at the fork's checkpoint `snapshot` (where the executor runs next), under the
 * task ids the fork's executor computes for those steps and their nested tasks, so it reads them
 * back instead of running them. Throws if the fork would call its steps' tasks in another order
 * than the source did.
 */
export async function carryIntoFork(
  saver: BaseCheckpointSaver,
  snapshot: StateSnapshot,
  carried: CarriedStep[],
): Promise<void> {
  if (carried.length === 0) return;
  const at = await executorFrame(saver, snapshot);
  if (!at)
    throw new Error("the fork does not continue with the executor; its finished steps cannot be carried");
  const pending = pendingSteps(snapshot.values as PlanExecuteStateType);
  const root = executorTask(at.frame);
  for (const c of carried) {
    const step = pending[c.index];
    if (!step || step.id !== c.stepId || stepRunName(step) !== c.name) {
      throw new Error(`the fork's executor would not call ${c.stepId} where the source's did`);
    }
    const stepTask = childTask(at.frame, root, c.name, c.index);
    if (c.outcome) await saver.putWrites(at.config, [[RETURN, c.outcome]], stepTask.id);
    for (const n of c.nested) {
      await saver.putWrites(
        at.config,
        [[RETURN, n.value]],
        childTask(at.frame, stepTask.self, n.name, n.index).id,
      );
    }
  }
}
