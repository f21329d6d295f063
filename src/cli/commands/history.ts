import { threadHistory } from "../../agent/threads.js";
import { loadThread, out, reader, type Cli } from "../session.js";

/** `history <thread>`: its checkpoints, newest first, and where a fork came from. */
export default async function history(cli: Cli, [threadId]: string[]): Promise<number> {
  const view = await loadThread(cli, threadId);
  const { entries, forkedFrom } = await threadHistory(reader(cli), view.threadId);
  for (const e of entries) {
    const row = {
      checkpoint: e.checkpointId,
      step: e.step,
      source: e.source,
      next: e.next,
      created: e.createdAt,
      waiting: e.waiting,
    };
    const next = `${row.next.join(",") || "-"}${row.waiting ? " (waiting)" : ""}`;
    out.write(
      cli.flags.json
        ? `${JSON.stringify(row)}\n`
        : `${row.checkpoint}  step ${String(row.step).padStart(3)}  ${String(row.source).padEnd(6)}  next: ${next}  ${row.created}\n`,
    );
  }
  if (forkedFrom) {
    const from = { thread: forkedFrom.threadId, checkpoint: forkedFrom.checkpointId };
    out.write(
      cli.flags.json
        ? `${JSON.stringify({ forkedFrom: from })}\n`
        : `forked from ${from.thread} at checkpoint ${from.checkpoint}\n`,
    );
  }
  return 0;
}
