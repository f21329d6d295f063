import { appendFileSync } from "node:fs";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { z } from "zod";
import { createPlanExecuteAgent, type PlanExecuteAgent } from "../../src/agent/agent.js";
import { ScriptedChatModel, scriptedRoles, type ScriptedReply } from "../../src/testing/scripted.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import type { PlanTool } from "../../src/tools/types.js";
import { plan } from "./agent.js";

/**
 * The pieces the concurrent-resume test shares with its child processes
 * (test/fixtures/resume-child.ts): a HIGH tool with no idempotency of its own, the plans, and
 * an agent on scripted models.
 */

/** How long `append_line` works before its effect, per process (the no-lease control widens the race with it). */
export const appendDelay = { ms: 0 };

/**
 * `append_line` (HIGH): appends "<line> <pid>" to `file`, every time it is called. It keeps no
 * record of what it did, so two runs of one step are two lines: nothing but the run's own
 * guarantees keeps the effect single.
 */
export function appendLineTool(file: string): PlanTool<{ line: string }> {
  return {
    name: "append_line",
    description: "Append one line to the shared log. Needs a person's approval.",
    schema: z.object({ line: z.string().min(1).describe("The line.") }).strict(),
    risk: "HIGH",
    async run({ line }) {
      if (appendDelay.ms > 0) await new Promise((r) => setTimeout(r, appendDelay.ms));
      appendFileSync(file, `${line} ${process.pid}\n`);
      return "appended";
    },
  };
}

/**
 * One HIGH step, or two in a row (the second depends on the first, so approving the first leads
 * to a new stop for the second). Lines are "<thread> step_N".
 */
export function racePlan(thread: string, highSteps: 1 | 2): ScriptedReply {
  const first = { id: "step_1", tool: "append_line", args: { line: `${thread} step_1` } };
  if (highSteps === 1) return plan(first);
  const second = { id: "step_2", tool: "append_line", args: { line: `${thread} step_2` } };
  return plan(first, { ...second, depends_on: ["step_1"] });
}

export const RACE_ANSWER = "appended";

/**
 * The agent both the parent (which starts each thread) and the children (which resume it) use.
 * The planner answers only what is pushed to it; the synthesizer always answers RACE_ANSWER.
 */
export function raceAgent(
  effects: string,
  checkpointer: BaseCheckpointSaver,
): { agent: PlanExecuteAgent; planner: ScriptedChatModel } {
  const models = scriptedRoles({});
  models.synthesizer = new ScriptedChatModel({ name: "synthesizer", fallback: RACE_ANSWER });
  const agent = createPlanExecuteAgent({
    models,
    tools: new ToolRegistry([appendLineTool(effects)]),
    checkpointer,
  });
  return { agent, planner: models.planner };
}

/** What a child did with one trial, as it prints it (one JSON line). */
export interface ResumeReport {
  trial: string;
  pid: number;
  /**
   * refused: the thread was busy (ThreadBusyError); not-waiting: under the lease, nothing waited;
   * applied: its decision named the stop that waited, and was sent; stale: something waited, at
   * another stop than its decision names, and the decision was sent anyway (the graph must refuse it).
   */
  outcome: "refused" | "not-waiting" | "applied" | "stale" | "error";
  /** The thread after it, as this child read it (absent when refused). */
  after?: { status: string; stop: string | null; errors: string[]; steps: Record<string, string> };
  error?: string;
}

/** The lines the tool appended for `thread`, by line ("<thread> step_N"), counted. */
export function effectsOf(log: string, thread: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of log.split("\n")) {
    const [t, step] = line.split(" ");
    if (t === thread && step) counts.set(`${t} ${step}`, (counts.get(`${t} ${step}`) ?? 0) + 1);
  }
  return counts;
}
