import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { isGraphBubbleUp } from "@langchain/langgraph";
import type { ProgressWriter } from "../core/events.js";
import type { AttemptLogEntry, RoleUsage, SubAgentCall } from "../core/state.js";
import { normaliseConfidence, type Confidence } from "../core/confidence.js";
import type { StepIdMap } from "../plan/ids.js";
import type { PlanStep } from "../plan/schema.js";
import { resolveReferences, TemplateError } from "../plan/template.js";
import type { ToolRegistry } from "../tools/registry.js";
import { withPromptText } from "../tools/prompt-text.js";
import {
  ToolInputError,
  type PlanTool,
  type StepInput,
  type StepRevision,
  type SubAgentHost,
  type TokenUsage,
  type ToolContext,
} from "../tools/types.js";
import { stepRunName, traceToolRun } from "../tracing/step-runs.js";
import { isEmptyOutput } from "./checks.js";
import { backoffDelay, isTransient, sleep, withTimeout, type BackoffPolicy } from "./retry.js";
import { zodIssueLines } from "../plan/zod-issues.js";

/** What one step's durable task returns; it is what a resumed run reads back instead of re-running. */
export type StepOutcome =
  | {
      status: "succeeded" | "failed";
      id: string;
      output: unknown;
      error: string | null;
      attempts: number;
      startedAt: number;
      finishedAt: number;
      /** Each attempt's start, end and error (retries included); empty when the tool never ran. */
      attemptLog: AttemptLogEntry[];
      usage: RoleUsage | null;
      /** The resolved args the tool got (null when they could not be resolved). */
      args: Record<string, unknown> | null;
      /** What an LLM step reported of its confidence, when the run asked (`askConfidence`). */
      stepConfidence?: Confidence;
      /** The tool calls of a sub-agent step (its last attempt), when it made any. */
      subAgentCalls?: SubAgentCall[];
    }
  /** A step whose tier needs a person's approval: nothing ran; the resolved args wait to be shown. */
  | { status: "awaiting_approval"; id: string; args: Record<string, unknown> }
  /** A dependency did not succeed in this pass: the step stays pending, nothing ran. */
  | { status: "blocked"; id: string; reason: string };

export interface StepRunOptions {
  tools: ToolRegistry;
  model: BaseChatModel;
  goal: string;
  /** Thread and run: with the step id, the idempotency key a tool with effects honours. */
  runKey: string;
  /** Largest serialised output a step may put into state, in bytes. */
  maxOutputBytes: number;
  timeoutMs: number;
  maxRetries: number;
  backoff: BackoffPolicy;
  emit: ProgressWriter;
  signal?: AbortSignal;
  /** The run gates on confidence (`minConfidence`): tools that write with a model are asked for theirs. */
  askConfidence?: boolean;
  /**
   * For a step whose resolved args carry a tool allowlist (`tools`): the run's side of its
   * tool-calling loop, made fresh for each attempt.
   */
  subAgent?: (
    step: PlanStep,
    allowed: string[],
    parent: SubAgentParent,
  ) => SubAgentHost & {
    calls: SubAgentCall[];
  };
}

export type SubAgentParent = Pick<ToolContext, "model" | "goal" | "signal" | "reportUsage">;

/** Runs one step to an outcome: resolve references, validate args, call the tool with timeout and retries. */
export async function runStep(
  step: PlanStep,
  dependencies: StepInput[],
  outputs: StepIdMap<unknown>,
  opts: StepRunOptions,
  /** Args a person approved or edited: used as they are instead of resolving the plan's args again. */
  approvedArgs?: Record<string, unknown>,
  /**
   * A revision of the step's output (reflection): the tool gets the draft and the critic's feedback.
   * Its runs are named `… revision N #attempt` and its idempotency key is the revision's own.
   */
  revision?: StepRevision,
): Promise<StepOutcome> {
  const startedAt = Date.now();
  const usage: RoleUsage = { input_tokens: 0, output_tokens: 0, total_tokens: 0, calls: 0 };
  let args: Record<string, unknown> | null = null;
  const attemptLog: AttemptLogEntry[] = [];
  let attemptStartedAt = startedAt;
  // The confidence the tool reported on its last attempt (a retry asks again).
  let reported: { raw: unknown } | undefined;
  let host: (SubAgentHost & { calls: SubAgentCall[] }) | undefined;
  const logAttempt = (attempt: number, error: string | null) =>
    attemptLog.push({ attempt, startedAt: attemptStartedAt, finishedAt: Date.now(), error });
  const finish = (
    status: "succeeded" | "failed",
    output: unknown,
    error: string | null,
    attempts: number,
  ) => {
    if (attempts > 0 && attemptLog.at(-1)?.attempt !== attempts) logAttempt(attempts, error);
    const finishedAt = Date.now();
    const durationMs = finishedAt - startedAt;
    if (status === "succeeded")
      opts.emit({ type: "step_finished", stepId: step.id, tool: step.tool, durationMs, attempts });
    else opts.emit({ type: "step_failed", stepId: step.id, tool: step.tool, durationMs, error: error ?? "" });
    return {
      status,
      id: step.id,
      output,
      error,
      attempts,
      startedAt,
      finishedAt,
      attemptLog,
      usage: usage.calls ? usage : null,
      args,
      ...(host && host.calls.length > 0 ? { subAgentCalls: host.calls } : {}),
      ...(asksConfidence && status === "succeeded"
        ? { stepConfidence: normaliseConfidence(reported?.raw, "the step") }
        : {}),
    };
  };

  const tool = opts.tools.get(step.tool);
  const asksConfidence = opts.askConfidence === true && tool?.usesModel === true;
  if (!tool) return finish("failed", null, `unknown tool "${step.tool}"`, 0);
  try {
    args = prepareArgs(step, tool, outputs, approvedArgs);
  } catch (err) {
    return finish("failed", null, (err as Error).message, 0);
  }

  for (let attempt = 1; ; attempt++) {
    attemptStartedAt = Date.now();
    reported = undefined;
    const allowed = Array.isArray(args?.tools) ? (args.tools as unknown[]).map(String) : [];
    opts.emit({ type: "step_started", stepId: step.id, tool: step.tool, attempt });
    try {
      const output = await traceToolRun(
        {
          name: `${stepRunName(step)}${revision ? ` revision ${revision.revision}` : ""} #${attempt}`,
          tool: step.tool,
          inputs: args as Record<string, unknown>,
          metadata: {
            step_id: step.id,
            tool: step.tool,
            risk: opts.tools.riskOf(step.tool),
            attempt,
            ...(revision ? { revision: revision.revision } : {}),
          },
        },
        () =>
          withTimeout(
            (signal) => {
              const parent: SubAgentParent = {
                model: opts.model,
                goal: opts.goal,
                signal,
                reportUsage: (u: TokenUsage) => addTo(usage, u),
              };
              host = allowed.length > 0 ? opts.subAgent?.(step, allowed, parent) : undefined;
              return tool.run(args as Record<string, unknown>, {
                signal,
                idempotencyKey: `${opts.runKey}:${step.id}${revision ? `:revision-${revision.revision}` : ""}`,
                step,
                dependencies: dependencies.map((d) => withPromptText(d, opts.tools)),
                model: opts.model,
                goal: opts.goal,
                reportUsage: (u: TokenUsage) => addTo(usage, u),
                ...(revision ? { revision } : {}),
                ...(asksConfidence ? { confidence: { report: (raw: unknown) => (reported = { raw }) } } : {}),
                ...(host ? { subAgent: host } : {}),
              });
            },
            tool.timeoutMs ?? opts.timeoutMs,
            opts.signal,
          ),
      );
      if (isEmptyOutput(output, tool))
        return finish("failed", output, "the step produced an empty output", attempt);
      const bytes = serialisedBytes(output);
      if (bytes > opts.maxOutputBytes) {
        // Everything a step returns is checkpointed with the run; an unbounded output would bloat
        // every later checkpoint and every prompt that quotes it. The step fails (not the run), so
        // the replanner can ask for something smaller.
        const error = `the output is ${bytes} bytes, over the limit of ${opts.maxOutputBytes} (maxOutputBytes); ask for less (a filter, a summary, a page)`;
        return finish("failed", null, error, attempt);
      }
      return finish("succeeded", output, null, attempt);
    } catch (err) {
      // An interrupt (approval) or other LangGraph control flow must reach the runtime untouched.
      if (isGraphBubbleUp(err)) throw err;
      const message = errorMessage(err);
      if (!isTransient(err) || attempt > opts.maxRetries) {
        const suffix = isTransient(err) ? ` (gave up after ${attempt} attempts)` : "";
        return finish("failed", null, message + suffix, attempt);
      }
      logAttempt(attempt, message);
      const delayMs = backoffDelay(attempt, opts.backoff);
      opts.emit({ type: "step_retry", stepId: step.id, attempt, delayMs, error: message });
      await sleep(delayMs, opts.signal);
    }
  }
}

/** Resolves `{{…}}` references (unless `given`) and checks the result against the tool's schema. */
export function prepareArgs(
  step: PlanStep,
  tool: PlanTool,
  outputs: StepIdMap<unknown>,
  given?: Record<string, unknown>,
): Record<string, unknown> {
  let resolved: Record<string, unknown>;
  try {
    resolved = given ?? resolveReferences(step.args, outputs);
  } catch (err) {
    if (err instanceof TemplateError) throw new ToolInputError(`cannot resolve args: ${err.message}`);
    throw err;
  }
  const parsed = tool.schema.safeParse(resolved);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const problems = zodIssueLines(parsed.error.issues).join("; ");
  throw new ToolInputError(`args for ${tool.name} are invalid after resolving references: ${problems}`);
}

function serialisedBytes(output: unknown): number {
  if (typeof output === "string") return Buffer.byteLength(output);
  try {
    return Buffer.byteLength(JSON.stringify(output) ?? "");
  } catch {
    return Infinity; // circular or otherwise not serialisable: it could not be checkpointed either
  }
}

function addTo(total: RoleUsage, u: TokenUsage): void {
  total.input_tokens += u.input_tokens;
  total.output_tokens += u.output_tokens;
  total.total_tokens += u.total_tokens;
  total.calls += 1;
  if (u.model) total.model = u.model;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error)
    return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
