import { AsyncLocalStorage } from "node:async_hooks";
import type { BaseCheckpointSaver } from "@langchain/langgraph";

type Config = Parameters<BaseCheckpointSaver["put"]>[0];
type PendingWrite = [string, string, unknown];

/** Savers already kept this way, by channel. */
const kept = new WeakMap<BaseCheckpointSaver, Set<string>>();

/**
 * Rebuilds a delta channel's value as of a checkpoint from its seed (the nearest ancestor's stored
 * value, if any) and the writes after it, oldest first.
 */
export type DeltaReplay = (seed: unknown, writes: PendingWrite[]) => unknown;

/** Set while an update of an earlier checkpoint (one named by `checkpoint_id`) is being saved. */
const timeTravel = new AsyncLocalStorage<true>();

/**
 * Runs `update` (a graph's `updateState`) as time travel when its config names a checkpoint: the
 * saver wrapped by {@link keepUpdatedDeltasWhole} then keeps the update's delta writes apart.
 * Without a `checkpoint_id` LangGraph updates the latest checkpoint and applies its pending writes
 * (tasks that finished), which is what the delta walk does too: nothing to change there.
 */
export function asTimeTravel<R>(config: Config, update: () => Promise<R>): Promise<R> {
  return config.configurable?.checkpoint_id === undefined ? update() : timeTravel.run(true, update);
}

const keyOf = (config: Config) => {
  const c = config.configurable ?? {};
  return `${String(c.thread_id)}\u0000${String(c.checkpoint_ns ?? "")}\u0000${String(c.checkpoint_id)}`;
};

/**
 * Keeps a delta channel (`steps`) right across `updateState` on an earlier checkpoint — what
 * LangGraph Studio's "edit state" in the past and an app's time travel do.
 *
 * A delta channel is stored as the writes of each step, and read back by walking a checkpoint's
 * ancestors and replaying every write saved on each. `updateState(C)` saves its own writes on C
 * and puts a child C' of C; but C also holds the writes of the tasks that ran from C on the
 * original branch, so reading C' replayed those too: the step results of the abandoned future
 * showed up in C' and the run resumed on them (a step that had not run as of C counted as done).
 * And the original branch, read again, replayed the update's writes it never had.
 *
 * So, during time travel ({@link asTimeTravel}): the update's writes to the channel are not saved
 * on C; the channel's value for C' — C's own value (the writes on its path) with the update's
 * writes applied — is stored whole in C'. Reading C' or anything after it starts from there and
 * never walks into C's writes; the original branch never sees the update. Costs one full copy of
 * the channel per time-travel update.
 */
export function keepUpdatedDeltasWhole<T extends BaseCheckpointSaver | undefined>(
  saver: T,
  channel: string,
  replay: DeltaReplay,
): T {
  if (!saver || typeof saver.putWrites !== "function") return saver;
  const channels = kept.get(saver) ?? new Set<string>();
  if (channels.has(channel)) return saver;
  channels.add(channel);
  kept.set(saver, channels);

  /** An update's writes to the channel, by the checkpoint they were made on, until it is put. */
  const held = new Map<string, PendingWrite[]>();
  const putWrites = saver.putWrites.bind(saver);
  const put = saver.put.bind(saver);
  saver.putWrites = async (config, writes, taskId) => {
    if (timeTravel.getStore() !== true) return putWrites(config, writes, taskId);
    const mine = writes.filter((w) => w[0] === channel).map((w): PendingWrite => [taskId, w[0], w[1]]);
    const key = keyOf(config);
    held.set(key, [...(held.get(key) ?? []), ...mine]);
    const rest = writes.filter((w) => w[0] !== channel);
    return rest.length > 0 ? putWrites(config, rest, taskId) : undefined;
  };
  saver.put = async (config, checkpoint, metadata, newVersions) => {
    if (timeTravel.getStore() !== true || metadata?.source !== "update")
      return put(config, checkpoint, metadata, newVersions);
    const key = keyOf(config);
    const updateWrites = held.get(key) ?? [];
    held.delete(key);
    const values = checkpoint.channel_values as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(values, channel)) {
      const value = await valueAt(saver, config, channel, replay);
      if (value !== undefined) {
        const whole = updateWrites.length > 0 ? replay(value, updateWrites) : value;
        checkpoint = { ...checkpoint, channel_values: { ...values, [channel]: whole } };
      } else {
        // Nothing to start from (the checkpoint is gone): save the writes as LangGraph would have.
        for (const [taskId, ch, v] of updateWrites) await putWrites(config, [[ch, v]], taskId);
      }
    }
    return put(config, checkpoint, metadata, newVersions);
  };
  return saver;
}

/** The channel's value as of the checkpoint `config` names: stored there, or replayed along its path. */
async function valueAt(
  saver: BaseCheckpointSaver,
  config: Config,
  channel: string,
  replay: DeltaReplay,
): Promise<unknown> {
  if (config.configurable?.checkpoint_id === undefined) return undefined;
  const tuple = await saver.getTuple(config);
  if (!tuple) return undefined;
  const stored = tuple.checkpoint.channel_values as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(stored, channel)) return replay(stored[channel], []);
  const history = await saver.getDeltaChannelHistory({ config: tuple.config, channels: [channel] });
  const h = history[channel];
  if (!h) return undefined;
  return replay(h.seed, h.writes as PendingWrite[]);
}
