import { listThreads } from "../../agent/threads.js";
import { out, reader, type Cli } from "../session.js";

/** `threads`: every thread in the checkpointer, newest first, with its status. */
export default async function threads(cli: Cli): Promise<number> {
  for (const r of await listThreads(reader(cli), cli.db.saver)) {
    const row = { thread: r.threadId, goal: r.goal, status: r.status, updated: r.updatedAt };
    out.write(
      cli.flags.json
        ? `${JSON.stringify(row)}\n`
        : `${r.threadId}  ${r.status.padEnd(11)}  ${r.updatedAt}  ${r.goal.slice(0, 70)}\n`,
    );
  }
  return 0;
}
