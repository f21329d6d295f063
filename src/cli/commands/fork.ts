import { randomUUID } from "node:crypto";
import { forkThread } from "../../agent/threads.js";
import { describeWaiting, UsageError } from "../resume-value.js";
import { exclusive, forker, loadThread, out, type Cli } from "../session.js";

/**
 * `fork <thread> --checkpoint ID`: time travel into a new thread (the original is untouched). A
 * stop there becomes the fork's own stop, answered with the fork's own decision.
 */
export default async function fork(cli: Cli, [threadId]: string[]): Promise<number> {
  const checkpointId = cli.flags.checkpoint;
  if (!checkpointId) throw new UsageError("fork needs --checkpoint ID (see `plan-execute history <thread>`)");
  await loadThread(cli, threadId, checkpointId);
  const newThreadId = cli.flags.thread ?? randomUUID();
  const graph = await forker(cli);
  const forked = await exclusive(cli, newThreadId, () =>
    forkThread(graph, { threadId: threadId as string, checkpointId, newThreadId }),
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
