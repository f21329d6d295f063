import { interrupt, isGraphBubbleUp, task, type BaseCheckpointSaver } from "@langchain/langgraph";
import { priorUnfinishedStarts } from "./start-markers.js";
import { z } from "zod";
import {
  parseDecision,
  StepDecisionsSchema,
  type ApprovalRequest,
  type StepDecision,
} from "../core/decisions.js";
import type { ProgressWriter } from "../core/events.js";
import type { RiskTier } from "../core/risk.js";
import type { SubAgentCall } from "../core/state.js";
import { actionDigest, digestOf } from "../plan/digest.js";
import type { PlanStep } from "../plan/schema.js";
import type { ToolRegistry } from "../tools/registry.js";
import { cutText, stepOutputText } from "../tools/prompt-text.js";
import type { SubAgentHost, TokenUsage, ToolContext } from "../tools/types.js";
import { stepRunName, traceToolRun } from "../tracing/step-runs.js";
import { withTimeout } from "./retry.js";
import { zodIssueLines } from "../plan/zod-issues.js";

/** What the model is shown of one tool's output, at most. */
const MAX_RESULT_CHARS = 8_000;
/** What a call's record keeps of the output, at most (the state carries it with every checkpoint). */
const MAX_RECORDED_CHARS = 2_000;

export interface SubAgentHostOptions {
  step: PlanStep;
  /** The allowlist from the step's resolved args. */
  allowed: readonly string[];
  tools: ToolRegistry;
  maxTurns: number;
  /** Whether a call of this tier waits for a person (the run's `autoApprove`). */
  needsApproval(risk: RiskTier): boolean;
  runId: string | null;
  /** Thread and run: with the step id and the call number, the idempotency key of a call. */
  runKey: string;
  timeoutMs: number;
  /** A call whose starts never finished this many times (the process died each time) is not run again. */
  maxCallCrashes: number;
  /** The run's checkpointer, whose writes a call's start marker waits for. */
  saver: BaseCheckpointSaver | undefined;
  emit: ProgressWriter;
  /** The step's own context: the model, the goal, the abort signal, usage reporting. */
  parent: Pick<ToolContext, "model" | "goal" | "signal" | "reportUsage">;
}

/** A call's saved result (one durable task). */
interface CallResult {
  ok: boolean;
  text: string;
  error: string | null;
  usage: TokenUsage[];
}

/**
 * The run's side of a sub-agent step: durable model turns, and tool calls under the allowlist and
 * the risk tiers. Turns and finished calls are nested `task()`s of the step's task, called one
 * after another (`step_3 · llm turn 1`, `step_3 · llm call 1 search`, …), so a resumed step reads
 * them back in the same order and repeats none. A call whose tier needs a person stops the run with
 * a `step_approval` bound to exactly that call (its stop id carries the call number and the digest
 * of tool and args); the decision comes back on resume through `interrupt()`.
 */
export function createSubAgentHost(opts: SubAgentHostOptions): SubAgentHost & { calls: SubAgentCall[] } {
  const name = stepRunName(opts.step);
  const calls: SubAgentCall[] = [];
  let count = 0;

  const record = (entry: Omit<SubAgentCall, "at" | "call">): string => {
    const full: SubAgentCall = { ...entry, call: count, at: Date.now() };
    calls.push(full);
    opts.emit({
      type: "subagent_call",
      stepId: opts.step.id,
      turn: full.turn,
      call: full.call,
      tool: full.tool,
      decision: full.decision,
      ok: full.ok,
      error: full.error,
    });
    return full.ok ? (full.output ?? "") : `error: ${full.error ?? "failed"}`;
  };

  return {
    calls,
    maxTurns: opts.maxTurns,
    describe(names) {
      return names.flatMap((n) => {
        const tool = opts.tools.get(n);
        if (!tool || n === "llm") return [];
        return [
          {
            type: "function",
            function: {
              name: tool.name,
              description: tool.description,
              parameters: z.toJSONSchema(tool.schema, { io: "input", unrepresentable: "any" }),
            },
          },
        ] as never;
      });
    },
    turn<T>(turn: number, ask: () => Promise<T>): Promise<T> {
      return (task({ name: `${name} turn ${turn}` }, ask) as unknown as () => Promise<T>)();
    },
    async call(turn, toolName, rawArgs) {
      count += 1;
      const tool = opts.tools.get(toolName);
      const risk = opts.tools.riskOf(toolName);
      const base = { turn, tool: toolName, args: rawArgs ?? null, risk };
      if (!tool || toolName === "llm" || !opts.allowed.includes(toolName)) {
        const error = `the tool "${toolName}" is not allowed in this step; allowed: ${opts.allowed.join(", ")}`;
        return record({ ...base, decision: "refused", ok: false, output: null, error });
      }
      const parsed = tool.schema.safeParse(rawArgs);
      if (!parsed.success) {
        const error = `invalid args for ${toolName}: ${zodIssueLines(parsed.error.issues, "(args)").join("; ")}`;
        return record({ ...base, decision: "refused", ok: false, output: null, error });
      }
      let args = parsed.data as Record<string, unknown>;
      let decision: SubAgentCall["decision"] = "ran";
      if (opts.needsApproval(risk)) {
        const decided = askPerson(opts, count, toolName, risk, args);
        if (decided.action === "reject") {
          const error = `rejected by a person${decided.reason ? `: ${decided.reason}` : ""}`;
          return record({ ...base, args, decision: "rejected", ok: false, output: null, error });
        }
        decision = decided.action === "edit" ? "edited" : "approved";
        if (decided.action === "edit") args = decided.args;
      }
      const k = count;
      const run = task({ name: `${name} call ${k} ${toolName}` }, async (): Promise<CallResult> => {
        // First inside the call's task: its row of start markers may grow by one per crash, and
        // nothing saved comes after it here. A finished call's task is read back, not run again.
        const crashes = await priorUnfinishedStarts(`${opts.step.id} call ${k}`, opts.saver);
        if (crashes >= opts.maxCallCrashes) {
          const error = `this call ended the process ${crashes} times (it started and never finished); it was not run again`;
          return { ok: false, text: "", error, usage: [] };
        }
        return runTool(opts, k, toolName, args, risk);
      }) as unknown as () => Promise<CallResult>;
      const result = await run();
      for (const u of result.usage) opts.parent.reportUsage(u);
      return record({
        ...base,
        args,
        decision,
        ok: result.ok,
        output: result.ok ? cutText(result.text, MAX_RECORDED_CHARS) : null,
        error: result.error,
      });
    },
  };
}

/**
 * Stops the run for a person's decision on one call, bound to it: the stop id is a digest of the
 * run, the step, the call number and the tool with its args. A value for another stop, one naming
 * another step, or an edit whose args the tool refuses is refused and the stop asks again.
 */
function askPerson(
  opts: SubAgentHostOptions,
  k: number,
  toolName: string,
  risk: RiskTier,
  args: Record<string, unknown>,
): StepDecision & { args: Record<string, unknown> } {
  const stop = digestOf({
    run: opts.runId,
    type: "step_approval",
    step: opts.step.id,
    call: k,
    action: actionDigest(toolName, args),
  });
  let errors: string[] = [];
  for (;;) {
    const request: ApprovalRequest = {
      type: "step_approval",
      stop,
      steps: [
        {
          stepId: opts.step.id,
          tool: toolName,
          risk,
          description: `${opts.step.description} — tool call ${k} of this step's sub-agent`,
          args,
        },
      ],
      errors,
    };
    const parsed = parseDecision(StepDecisionsSchema, interrupt(request), stop);
    if ("errors" in parsed) {
      errors = parsed.errors;
      continue;
    }
    const v = parsed.value as { decisions?: Record<string, StepDecision>; stepId?: string } & StepDecision;
    const decision = v.decisions
      ? v.decisions[opts.step.id]
      : v.stepId && v.stepId !== opts.step.id
        ? undefined
        : v;
    if (!decision) {
      errors = [`only ${opts.step.id} waits here (a tool call of its sub-agent); nothing was applied`];
      continue;
    }
    if (decision.action === "edit") {
      const edited = opts.tools.get(toolName)?.schema.safeParse(decision.args);
      if (!edited?.success) {
        errors = [`edit refused: the args do not fit ${toolName}; nothing was applied`];
        continue;
      }
      return { action: "edit", args: edited.data as Record<string, unknown> };
    }
    return { ...decision, args } as StepDecision & { args: Record<string, unknown> };
  }
}

/** Runs one call with the step's timeout, traced as a tool run; an error is a result the model is told. */
async function runTool(
  opts: SubAgentHostOptions,
  k: number,
  toolName: string,
  args: Record<string, unknown>,
  risk: RiskTier,
): Promise<CallResult> {
  const tool = opts.tools.get(toolName);
  const usage: TokenUsage[] = [];
  if (!tool) return { ok: false, text: "", error: `unknown tool ${toolName}`, usage };
  try {
    const output = await traceToolRun(
      {
        name: `${stepRunName(opts.step)} → ${toolName} (call ${k})`,
        tool: toolName,
        inputs: args,
        metadata: { step_id: opts.step.id, tool: toolName, risk, subagent_call: k },
      },
      () =>
        withTimeout(
          (signal) =>
            tool.run(args, {
              signal,
              idempotencyKey: `${opts.runKey}:${opts.step.id}:call-${k}`,
              step: { ...opts.step, tool: toolName, args },
              dependencies: [],
              model: opts.parent.model,
              goal: opts.parent.goal,
              reportUsage: (u) => usage.push(u),
            }),
          tool.timeoutMs ?? opts.timeoutMs,
          opts.parent.signal,
        ),
    );
    // The model reads the result as every prompt shows a tool's output (its `promptText`).
    const text = output === undefined ? "" : stepOutputText(output, tool, Number.POSITIVE_INFINITY);
    return { ok: true, text: cutText(text, MAX_RESULT_CHARS), error: null, usage };
  } catch (err) {
    if (isGraphBubbleUp(err)) throw err;
    return { ok: false, text: "", error: err instanceof Error ? err.message : String(err), usage };
  }
}
