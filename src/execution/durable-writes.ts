import type { BaseCheckpointSaver } from "@langchain/langgraph";

/** LangGraph's config key for the run's checkpointer (the same constant its runtime reads). */
const CONFIG_KEY_CHECKPOINTER = "__pregel_checkpointer";

/** Checkpoints and writes each watched saver has started and not yet finished. */
const inFlight = new WeakMap<BaseCheckpointSaver, Set<Promise<unknown>>>();

/**
 * A saver with its `put` and `putWrites` watched, so {@link writesSaved} can wait for what it is
 * still writing. LangGraph saves a task's result after the task's promise has settled, and a
 * node's checkpoint while the next step already runs, without waiting for either (its default
 * "async" durability); a saver that writes over the network (PostgresSaver) may still be writing
 * when a tool starts. Wrapping is done once per saver and changes nothing else. The agent watches
 * its own saver from the start; {@link watchWrites} catches one given another way (a parent graph,
 * the LangGraph server).
 */
export function watchSaver<T extends BaseCheckpointSaver | undefined>(saver: T): T {
  if (!saver || typeof saver.putWrites !== "function" || inFlight.has(saver)) return saver;
  const pending = new Set<Promise<unknown>>();
  inFlight.set(saver, pending);
  const track = <R>(write: Promise<R>): Promise<R> => {
    pending.add(write);
    const done = () => pending.delete(write);
    write.then(done, done);
    return write;
  };
  const put = saver.put.bind(saver);
  const putWrites = saver.putWrites.bind(saver);
  saver.put = (...args: Parameters<BaseCheckpointSaver["put"]>) => track(put(...args));
  saver.putWrites = (...args: Parameters<BaseCheckpointSaver["putWrites"]>) => track(putWrites(...args));
  return saver;
}

/** The run's checkpointer (from a node's config), watched. */
export function watchWrites(config: {
  configurable?: Record<string, unknown>;
}): BaseCheckpointSaver | undefined {
  return watchSaver(config.configurable?.[CONFIG_KEY_CHECKPOINTER] as BaseCheckpointSaver | undefined);
}

/** Rounds of waiting {@link writesSaved} allows before it lets the tool start anyway. */
const MAX_ROUNDS = 16;

/**
 * Resolves once the saver has written what it was writing, and what was queued behind that.
 * LangGraph calls `putWrites` for a task that just settled on a later turn of the event loop, and
 * chains each checkpoint's `put` after the previous one's: a checkpoint queued behind one still in
 * flight (PostgreSQL) is only handed to the saver once that one is done — and a task's writes are
 * worth nothing without the checkpoint they belong to. So this waits a turn, then for everything
 * in flight, and again, until a turn finds the saver idle (at most {@link MAX_ROUNDS} rounds, so
 * parallel steps that keep it busy can't hold a tool back for ever).
 */
export async function writesSaved(saver: BaseCheckpointSaver | undefined): Promise<void> {
  const pending = saver ? inFlight.get(saver) : undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!pending || pending.size === 0) return;
    await Promise.allSettled([...pending]);
  }
}
