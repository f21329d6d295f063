import { Command } from "@langchain/langgraph";
import type { ThreadLease } from "../../agent/lease.js";
import { describeWaiting, resumeValue, StaleDecisionError, UsageError } from "../resume-value.js";
import { agentFor, drive, exclusive, finish, loadThread, type Cli } from "../session.js";

/** `resume <thread> [decision]`: continues a stopped run, answering the stop it waits at. */
export default async function resume(cli: Cli, [threadId]: string[]): Promise<number> {
  if (!threadId) throw new UsageError("name a thread (see `plan-execute threads`)");
  // The stop the person saw when they typed the command: the decision is for that stop, even if
  // another process moves the run on while this one waits for the lease (`--wait`).
  const seen = (await loadThread(cli, threadId)).pending[0]?.stop;
  return exclusive(cli, threadId, (lease) => resumeHeld(cli, lease, threadId, cli.flags.stop ?? seen));
}

/** Once the thread's lease is held: reads the stop now, so a decision meets the stop it was made for. */
async function resumeHeld(
  cli: Cli,
  lease: ThreadLease,
  threadId: string,
  stop: string | undefined,
): Promise<number> {
  const view = await loadThread(cli, threadId);
  const f = cli.flags;
  const decided =
    f.approve ||
    f.reject !== undefined ||
    f.edit !== undefined ||
    f.pick !== undefined ||
    f.finish ||
    (f.raise ?? []).length > 0;
  if (!decided) {
    // A finished run has nothing to run: its answer is read from the checkpoint, with no model,
    // tool or node module loaded.
    if (view.next.length === 0) return finish(cli, view.state, threadId);
    return drive(cli, lease, await agentFor(cli, view.state), null, threadId);
  }
  const request = view.pending[0];
  if (!request)
    throw new UsageError(`thread ${threadId} is not waiting for a decision (it is ${view.status})`);
  let value: unknown;
  try {
    value = resumeValue(request, {
      approve: f.approve,
      reject: f.reject,
      edit: f.edit,
      pick: f.pick,
      step: f.step,
      raise: f.raise,
      finish: f.finish,
      stop,
    });
  } catch (err) {
    if (err instanceof StaleDecisionError) process.stderr.write(`${describeWaiting(threadId, request)}\n`);
    throw err;
  }
  return drive(cli, lease, await agentFor(cli, view.state), new Command({ resume: value }), threadId);
}
