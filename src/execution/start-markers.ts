import { randomUUID } from "node:crypto";
import { task, type BaseCheckpointSaver } from "@langchain/langgraph";
import { writesSaved } from "./durable-writes.js";

/** This process, for telling start markers it wrote from those read back from a checkpoint. */
const PROCESS = randomUUID();

/** Set once per process: a start marker from another process is a start that process never finished. */
let startSeq = 0;
const startMarker = task<
  [string, number],
  Promise<{ pid: number; at: number; seq: number; process: string }>
>({ name: "step start" }, (_key: string, _k: number) =>
  Promise.resolve({ pid: process.pid, at: Date.now(), seq: ++startSeq, process: PROCESS }),
) as unknown as (key: string, k: number) => Promise<{ seq: number; process: string }>;

/**
 * How often a unit of work (a step; a sub-agent's tool call) started in earlier processes without
 * finishing. Each start first records a marker as a durable task of its own (saved before the
 * work runs, by a saver that writes synchronously: see below). Work that finishes is never run
 * again, so markers read back from the checkpoint — not run in this process — are starts that
 * ended with the process (a crash, an OOM kill, a SIGKILL). Markers are called in order until one
 * runs here; the ones before it are the earlier starts.
 *
 * The row of markers grows by one per crash, and task results are found again by their position
 * among their parent's tasks: call this first inside the task that does the work, so nothing
 * whose result is saved comes after a row that can grow.
 */
export async function priorUnfinishedStarts(
  key: string,
  saver: BaseCheckpointSaver | undefined,
): Promise<number> {
  for (let k = 0; ; k++) {
    const before = startSeq;
    const mark = await startMarker(key, k);
    if (mark.process === PROCESS && mark.seq > before) {
      // The marker's result reaches us before LangGraph has saved it (the runner saves a task's
      // writes after its promise settles, without waiting): wait until the saver has written it,
      // or work that ends the process at once leaves no marker behind and loops forever.
      await writesSaved(saver);
      return k;
    }
  }
}
