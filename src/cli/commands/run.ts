import { randomUUID } from "node:crypto";
import { UsageError } from "../resume-value.js";
import { agentFor, drive, exclusive, out, refuseUnfinished, runContext, type Cli } from "../session.js";

/** `run "<goal>"`: a live goal on a new thread, or a new run on a finished one (`--thread`). */
export default async function run(cli: Cli, args: string[]): Promise<number> {
  const goal = args.join(" ").trim();
  if (goal === "") throw new UsageError("run needs a goal (see --help)");
  const threadId = cli.flags.thread ?? randomUUID();
  const context = runContext(cli.flags);
  return exclusive(cli, threadId, async (lease) => {
    await refuseUnfinished(cli, threadId);
    const agent = await agentFor(cli, {});
    if (!cli.flags.json) out.write(`thread ${threadId}\n`);
    return drive(cli, lease, agent, { goal }, threadId, context);
  });
}
