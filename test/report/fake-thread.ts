import type { StateSnapshot } from "@langchain/langgraph";
import type { PlanExecuteStateType, StepRecord } from "../../src/core/state.js";
import type { PlanStep } from "../../src/plan/schema.js";
import type { ThreadGraph } from "../../src/agent/threads.js";

export interface FakeCheckpoint {
  at: number;
  state: Partial<PlanExecuteStateType>;
  next?: string[];
  source?: string;
}

/**
 * A thread written directly as checkpoints (oldest first), behind the same `ThreadGraph`
 * interface the report reads: for states no scripted run can reach (a 200-step plan, records
 * written before attempts were timed).
 */
export function fakeThread(threadId: string, checkpoints: FakeCheckpoint[]): ThreadGraph {
  const snapshots: StateSnapshot[] = checkpoints.map((c, i) => ({
    values: { ...BASE, ...c.state },
    next: c.next ?? [],
    config: { configurable: { thread_id: threadId, checkpoint_id: `cp-${i}` } },
    metadata: { source: (c.source ?? "loop") as "loop", step: i - 1, parents: {} },
    createdAt: new Date(c.at).toISOString(),
    parentConfig: i > 0 ? { configurable: { thread_id: threadId, checkpoint_id: `cp-${i - 1}` } } : undefined,
    tasks: [],
  }));
  const empty = { values: {}, next: [], config: {}, tasks: [], metadata: undefined, createdAt: undefined };
  return {
    getState: async (config) => {
      if (config.configurable.thread_id !== threadId) return empty as unknown as StateSnapshot;
      const id = config.configurable.checkpoint_id;
      const found = id
        ? snapshots.find((s) => s.config.configurable?.checkpoint_id === id)
        : snapshots.at(-1);
      return (found ?? empty) as StateSnapshot;
    },
    async *getStateHistory(config) {
      if (config.configurable.thread_id !== threadId) return;
      for (const s of [...snapshots].reverse()) yield s;
    },
    updateState: () => Promise.reject(new Error("read-only")),
    invoke: () => Promise.reject(new Error("read-only")),
  };
}

const BASE: Partial<PlanExecuteStateType> = {
  goal: "g",
  runId: "run-1",
  plan: [],
  steps: {},
  planVersion: 0,
  replans: 0,
  usage: {},
  audit: [],
  activeMs: 0,
  validationErrors: [],
  finalAnswer: null,
  error: null,
  forkedFrom: null,
  settings: null,
};

export function step(id: string, dependsOn: string[] = [], tool = "work"): PlanStep {
  return {
    id,
    description: `work on ${id}`,
    tool,
    args: { id },
    depends_on: dependsOn,
    expected_output: "x",
  };
}

export function record(id: string, patch: Partial<StepRecord>): StepRecord {
  return {
    id,
    status: "succeeded",
    output: `${id} done`,
    error: null,
    attempts: 1,
    startedAt: null,
    finishedAt: null,
    evaluation: null,
    ...patch,
  };
}
