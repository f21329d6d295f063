import { stepRecordOf } from "../../core/state.js";
import { describeTree } from "../../plan/search.js";
import { describeWaiting } from "../resume-value.js";
import { loadThread, out, type Cli } from "../session.js";

/** `show <thread>`: its status, plan, stops, audit log and answer. */
export default async function show(cli: Cli, [threadId]: string[]): Promise<number> {
  const view = await loadThread(cli, threadId);
  const { state } = view;
  if (cli.flags.json) {
    const row = { thread: view.threadId, status: view.status, ...state, pending: view.pending };
    out.write(`${JSON.stringify(row)}\n`);
    return 0;
  }
  out.write(`thread ${view.threadId} (${view.status})\nGoal: ${state.goal}\n`);
  if (state.forkedFrom)
    out.write(`Forked from ${state.forkedFrom.threadId} at checkpoint ${state.forkedFrom.checkpointId}\n`);
  out.write(`\nPlan v${state.planVersion}:\n`);
  for (const step of state.plan) {
    const r = stepRecordOf(state.steps, step.id);
    out.write(
      `  ${step.id.padEnd(8)} ${step.tool.padEnd(12)} ${(r?.status ?? "pending").padEnd(9)} ${r?.error ?? ""}\n`,
    );
  }
  if (state.planSearch) {
    out.write(`\nPlan search (${state.planSearch.selection}; * runs now):\n`);
    for (const line of describeTree(state.planSearch)) out.write(`  ${line}\n`);
    if (state.planSearch.ended) out.write(`  ${state.planSearch.ended}\n`);
  }
  for (const request of view.pending) out.write(`\n${describeWaiting(view.threadId, request)}\n`);
  if (state.audit.length) {
    out.write("\nAudit log:\n");
    for (const e of state.audit)
      out.write(
        `  ${new Date(e.at).toISOString()}  ${e.stepId} ${e.tool} [${e.risk}] ${e.decision}${e.reason ? ` (${e.reason})` : ""} ${JSON.stringify(e.args)}\n`,
      );
  }
  if (state.finalAnswer) out.write(`\nAnswer:\n${state.finalAnswer}\n`);
  if (state.error) out.write(`\nError: ${state.error}\n`);
  return 0;
}
