import {
  uuid5,
  type BaseCheckpointSaver,
  type CheckpointPendingWrite,
} from "@langchain/langgraph-checkpoint";
import type { StateSnapshot } from "@langchain/langgraph";
import { stepRecordOf, type PlanExecuteStateType } from "../core/state.js";
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
 * audit), with the risk tiers of its own tool registry. Nothing else is carried: no decision (a
 * `__resume__` value), no interrupt, no start marker.
 *
 * - A step that *started* but did not finish there (the process died while it ran) has no result to
 *   carry: it runs again in the fork, as it would on a resume of the source after a crash. Its start
 *   markers are not carried either, so the fork does not count that start against `maxStepCrashes`
 *   (the fork is a new run with a new run id, and so a new idempotency key for the tool).
 * - A step's nested tasks are not carried: a sub-agent step that stopped at a HIGH call runs again
 *   from its first turn in the fork (its model turns, and the calls it made before the stop, run
 *   again; a fork's stop ids and idempotency keys are its own).
 *
 * LangGraph keys a task called from a node by a uuid5 of its namespace, the step, its name, its
 * parent's path and its call index, in the checkpoint's id (`_prepareSingleTask` in
 * `@langchain/langgraph/dist/pregel/algo.js`); the executor calls its steps' tasks in plan order,
 * one per pending step, so the call index is the step's place among the pending steps.
 */

const RETURN = "__return__";
const PUSH = "__pregel_push";
const EXECUTOR = "executor";

/** A finished step's task result, as `runStep` returned it (see `StepOutcome`). */
export interface CarriedStep {
  stepId: string;
  /** The step's place among the pending steps: its task's call index in the executor. */
  index: number;
  name: string;
  outcome: Record<string, unknown>;
}

interface Frame {
  checkpointId: string;
  /** The loop step the executor's tasks run in. */
  step: number;
  /** The executor's own task: its id and path. */
  taskId: string;
  path: unknown[];
}

/** The task id LangGraph gives the `index`-th `task()` called by the executor node at `frame`. */
function stepTaskId(frame: Frame, name: string, index: number): string {
  const ns = `${EXECUTOR}:${frame.taskId}|${name}`;
  return uuid5(JSON.stringify([ns, String(frame.step), name, PUSH, frame.path, index]), frame.checkpointId);
}

/** The pending steps in the order the executor calls their tasks (as `createExecutorNode` does). */
function pendingSteps(state: PlanExecuteStateType) {
  return (state.plan ?? []).filter(
    (s) => (stepRecordOf(state.steps ?? {}, s.id)?.status ?? "pending") === "pending",
  );
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

/**
 * The steps that finished in the executor pass that stopped at `snapshot` (none if the executor
 * is not what runs next there). Throws if a finished step's result is there but not under the task
 * id it should have: rather no fork than one that runs finished work again.
 */
export async function finishedInStoppedPass(
  saver: BaseCheckpointSaver,
  snapshot: StateSnapshot,
): Promise<CarriedStep[]> {
  const at = await executorFrame(saver, snapshot);
  if (!at) return [];
  const state = snapshot.values as PlanExecuteStateType;
  const returns = new Map(at.writes.filter((w) => w[1] === RETURN).map((w) => [w[0], w[2]]));
  const carried: CarriedStep[] = [];
  const found = new Set<string>();
  pendingSteps(state).forEach((step, index) => {
    const name = stepRunName(step);
    const taskId = stepTaskId(at.frame, name, index);
    const value = returns.get(taskId);
    if (!isFinishedOutcome(value, step.id)) return;
    found.add(taskId);
    carried.push({ stepId: step.id, index, name, outcome: value });
  });
  const pendingIds = new Set(pendingSteps(state).map((s) => s.id));
  const unplaced = [...returns].filter(
    ([taskId, value]) => !found.has(taskId) && isFinishedOutcome(value) && pendingIds.has(value.id as string),
  );
  if (unplaced.length > 0) {
    const ids = unplaced.map(([, v]) => (v as { id: string }).id).join(", ");
    throw new Error(
      `cannot fork here: the results of ${ids} are saved under task ids this version does not derive (a LangGraph upgrade?); the fork would run them again`,
    );
  }
  return carried;
}

/**
 * Writes `carried` at the fork's checkpoint `snapshot` (where the executor runs next), under the
 * task ids the fork's executor computes for those steps, so it reads them back instead of running
 * them. Throws if the fork would call its steps' tasks in another order than the source did.
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
  for (const c of carried) {
    const step = pending[c.index];
    if (!step || step.id !== c.stepId || stepRunName(step) !== c.name) {
      throw new Error(`the fork's executor would not call ${c.stepId} where the source's did`);
    }
    await saver.putWrites(at.config, [[RETURN, c.outcome]], stepTaskId(at.frame, c.name, c.index));
  }
}
