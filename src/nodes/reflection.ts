import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage } from "@langchain/core/messages";
import { GraphInterrupt, isGraphBubbleUp, task } from "@langchain/langgraph";
import type { ProgressWriter } from "../core/events.js";
import type { Settings } from "../core/settings.js";
import type { Draft, Evaluation, Reflection, RoleUsage, StepRecord } from "../core/state.js";
import { runStep, type StepOutcome, type StepRunOptions } from "../execution/run-step.js";
import { invokeStructured, StructuredOutputError } from "../models/structured.js";
import type { PlanStep } from "../plan/schema.js";
import type { ToolRegistry } from "../tools/registry.js";
import { stepOutputText } from "../tools/prompt-text.js";
import type { StepInput, StepRevision } from "../tools/types.js";
import { stepRunName } from "../tracing/step-runs.js";
import {
  buildReflectionCriticPrompt,
  ReflectionVerdictReadSchema,
  ReflectionVerdictSchema,
  withConfidence,
} from "./quality-prompts.js";
import { z } from "zod";
import { normaliseConfidence, type Confidence } from "../core/confidence.js";

/**
 * Whether a finished step reflects (generate → critic → revise with the feedback → critic …):
 * while the critic is on and revisions are allowed, a step whose tool writes with a model, when
 * the planner marked it `reflect` or its tool reflects by default (llm, summarize). A tool that
 * does not use a model cannot revise, so a `reflect` mark on it is ignored (the ordinary critic,
 * if any, checks it). Nor does a tool above LOW risk reflect: a revision runs the tool again, and
 * a decision a person made covers one run of it.
 */
export function reflects(
  step: PlanStep,
  tools: ToolRegistry,
  settings: Pick<Settings, "critic" | "maxRevisions">,
): boolean {
  if (settings.critic === "off" || settings.maxRevisions <= 0) return false;
  const tool = tools.get(step.tool);
  if (!tool?.usesModel || tools.riskOf(step.tool) !== "LOW") return false;
  // A sub-agent step (a tool allowlist) does not reflect: a revision would call its tools again.
  if (Array.isArray(step.args.tools) && step.args.tools.length > 0) return false;
  return step.reflect === true || tool.reflect === true;
}

/** Times the critic is asked for a readable verdict on one draft before the loop stops. */
const VERDICT_ATTEMPTS = 2;

/** A verdict as it is saved (the result of one durable task). */
interface VerdictResult {
  readable: boolean;
  pass: boolean;
  score: number;
  reason: string;
  /** A score treated as 0, or why the verdict could not be read. */
  note: string | null;
  usage: RoleUsage[];
  /** The critic's confidence in the verdict, when the run gates on confidence. */
  confidence?: Confidence;
}

/** What the evaluator writes for a step that reflected. */
export interface ReflectionOutcome {
  output: unknown;
  evaluation: Evaluation;
  reflection: Reflection;
  /** Tokens the revisions used (executor model); null when there was none. */
  revisionUsage: RoleUsage | null;
  /** Tokens of every verdict (evaluator model). */
  criticUsage: RoleUsage[];
}

export interface ReflectionContext {
  goal: string;
  step: PlanStep;
  /** The step's record with its first draft as `output`. */
  record: StepRecord;
  /** The outputs of the step's dependencies (what a revision works from, what the critic checks against). */
  dependencies: StepInput[];
  outputs: Map<string, unknown>;
  run: StepRunOptions;
  critic: BaseChatModel;
  maxRevisions: number;
  /** Most characters of one output the critic is shown (`promptOutputChars`). */
  promptOutputChars: number;
  /** The run gates on confidence (`minConfidence`): the critic is asked for its confidence too. */
  askConfidence?: boolean;
  emit: ProgressWriter;
  /** Budgets reached so far (by name): no revision starts once one is. */
  budgetReached: () => string[];
  /** Called with the tokens of each draft and verdict as they arrive, for the budget check. */
  onUsage: (role: "executor" | "evaluator", usage: RoleUsage) => void;
}

/**
 * A score from the critic as a number in 0–1: a missing score, one that is not a number or one
 * outside 0–1 counts as 0, and the note says which.
 */
export function normaliseScore(raw: unknown): { score: number; note: string | null } {
  if (typeof raw === "number" && Number.isFinite(raw) && raw >= 0 && raw <= 1)
    return { score: raw, note: null };
  if (raw === undefined || raw === null) return { score: 0, note: "the critic gave no score; treated as 0" };
  if (typeof raw === "number")
    return { score: 0, note: `the critic's score ${raw} is outside 0–1; treated as 0` };
  return {
    score: 0,
    note: `the critic's score ${JSON.stringify(raw).slice(0, 40)} is not a number; treated as 0`,
  };
}

/**
 * The reflection loop of one step. Every verdict and every revision is its own durable LangGraph
 * `task()` — `step_3 · llm verdict 0`, `step_3 · llm revision 1`, `step_3 · llm verdict 1`, … — called
 * one after another from inside the step's own reflection task, so they get the same task ids in
 * the same order when the evaluator node runs again after an interrupt or a crash: each finished
 * draft and verdict is read back from the checkpoint, and only the unfinished iteration runs again.
 */
export async function reflectStep(ctx: ReflectionContext): Promise<ReflectionOutcome> {
  const name = stepRunName(ctx.step);
  const drafts: Draft[] = [
    {
      revision: 0,
      output: ctx.record.output,
      score: null,
      pass: null,
      feedback: null,
      note: null,
      ...(ctx.record.stepConfidence ? { stepConfidence: ctx.record.stepConfidence } : {}),
    },
  ];
  const criticUsage: RoleUsage[] = [];
  let revisionUsage: RoleUsage | null = null;
  let stopped: Reflection["stopped"];
  let stopNote = "";

  for (let n = 0; ; n++) {
    const current = drafts[n] as Draft;
    const verdict = await durable<[number], VerdictResult>(`${name} verdict ${n}`, (revision) =>
      judge(ctx, revision, current.output),
    )(n);
    criticUsage.push(...verdict.usage);
    for (const u of verdict.usage) ctx.onUsage("evaluator", u);
    if (!verdict.readable) {
      current.note = verdict.note;
      stopped = "unreadable";
      stopNote = `the critic's verdict on ${draftName(n)} could not be read (${verdict.note ?? "no reason"})`;
      break;
    }
    Object.assign(current, {
      score: verdict.score,
      pass: verdict.pass,
      feedback: verdict.reason,
      note: verdict.note,
      ...(verdict.confidence ? { criticConfidence: verdict.confidence } : {}),
    });
    if (verdict.pass) {
      stopped = "approved";
      break;
    }
    if (n >= ctx.maxRevisions) {
      stopped = "limit";
      stopNote = `the critic approved none of ${n + 1} drafts (maxRevisions ${ctx.maxRevisions})`;
      break;
    }
    const reached = ctx.budgetReached();
    if (reached.length > 0) {
      stopped = "budget";
      stopNote = `no revision started: budget reached (${reached.join(", ")})`;
      break;
    }
    const revision: StepRevision = { revision: n + 1, draft: current.output, feedback: verdict.reason };
    const outcome = await durable<[StepRevision], StepOutcome>(`${name} revision ${n + 1}`, (r) => {
      ctx.emit({
        type: "step_revised",
        stepId: ctx.step.id,
        revision: r.revision,
        score: verdict.score,
        feedback: r.feedback,
      });
      return runStep(ctx.step, ctx.dependencies, ctx.outputs, quiet(ctx.run), undefined, r);
    })(revision);
    if ("usage" in outcome && outcome.usage) {
      revisionUsage = addTokens(revisionUsage, outcome.usage);
      ctx.onUsage("executor", outcome.usage);
    }
    if (outcome.status !== "succeeded") {
      const error = outcome.status === "failed" ? (outcome.error ?? "failed") : outcome.status;
      drafts.push({ revision: n + 1, score: null, pass: null, feedback: null, note: `failed: ${error}` });
      stopped = "revision_failed";
      stopNote = `revision ${n + 1} failed (${error})`;
      break;
    }
    drafts.push({
      revision: n + 1,
      output: outcome.output,
      score: null,
      pass: null,
      feedback: null,
      note: null,
      ...(outcome.stepConfidence ? { stepConfidence: outcome.stepConfidence } : {}),
    });
  }

  const kept = stopped === "approved" ? (drafts.at(-1) as Draft) : bestDraft(drafts);
  const summary = summarise(kept, stopped, stopNote, drafts.length - 1);
  const reflection: Reflection = {
    drafts,
    kept: kept.revision,
    approved: stopped === "approved",
    stopped,
    summary,
  };
  return {
    output: kept.output,
    // The loop's answer is the kept draft: the step succeeds with it, approved or not, and says which.
    evaluation: { ok: true, reason: summary, by: "critic" },
    reflection,
    revisionUsage,
    criticUsage,
  };
}

/** The draft to keep when none was approved: the best-scored one (the later on a tie), else the first. */
export function bestDraft(drafts: readonly Draft[]): Draft {
  let best: Draft | undefined;
  for (const d of drafts) {
    if (d.score === null) continue;
    if (!best || d.score >= (best.score ?? 0)) best = d;
  }
  return best ?? (drafts[0] as Draft);
}

function draftName(revision: number): string {
  return revision === 0 ? "the first draft" : `revision ${revision}`;
}

function summarise(kept: Draft, stopped: Reflection["stopped"], stopNote: string, revisions: number): string {
  const score = kept.score === null ? "unscored" : `score ${kept.score.toFixed(2)}`;
  const note = kept.note && kept.score !== null ? ` (${kept.note})` : "";
  if (stopped === "approved") {
    const after = revisions === 0 ? "" : ` after ${revisions} revision${revisions === 1 ? "" : "s"}`;
    return `the critic approved ${draftName(kept.revision)}${after} (${score})${note}: ${kept.feedback ?? ""}`;
  }
  const which =
    kept.score === null
      ? `kept ${draftName(kept.revision)}, unreviewed`
      : `kept ${draftName(kept.revision)}, the best-scored draft (${score})${note}`;
  const last = stopped === "limit" && kept.feedback ? `; the critic's last word on it: ${kept.feedback}` : "";
  return `not approved: ${stopNote}; ${which}${last}`;
}

/** The critic's verdict on one draft; an unreadable answer is sent back once with the problem. */
async function judge(ctx: ReflectionContext, revision: number, draft: unknown): Promise<VerdictResult> {
  const prompt = buildReflectionCriticPrompt({
    goal: ctx.goal,
    step: ctx.step,
    inputs: ctx.dependencies.map((d) => ({
      ...d,
      text: stepOutputText(d.output, d.tool ? ctx.run.tools.get(d.tool) : undefined, ctx.promptOutputChars),
    })),
    draft: stepOutputText(draft, ctx.run.tools.get(ctx.step.tool), ctx.promptOutputChars),
    revision,
  });
  const usage: RoleUsage[] = [];
  let messages = prompt;
  const withConf = ctx.askConfidence ? withConfidence(ReflectionVerdictSchema) : null;
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await invokeStructured(ctx.critic, withConf?.ask ?? ReflectionVerdictSchema, messages, {
        name: "verdict",
        read: withConf
          ? ReflectionVerdictReadSchema.extend({ confidence: z.unknown().optional() })
          : ReflectionVerdictReadSchema,
      });
      usage.push(answer.usage);
      const value = answer.value as z.output<typeof ReflectionVerdictReadSchema> & { confidence?: unknown };
      const { score, note } = normaliseScore(value.score);
      return {
        readable: true,
        pass: value.pass,
        score,
        reason: value.reason,
        note,
        usage,
        ...(withConf ? { confidence: normaliseConfidence(value.confidence, "the critic") } : {}),
      };
    } catch (err) {
      // Transport errors propagate: the node stops, and a resume asks for this verdict again.
      if (!(err instanceof StructuredOutputError)) throw err;
      if (attempt >= VERDICT_ATTEMPTS) {
        const note = `after ${attempt} attempts: ${err.message}`;
        return { readable: false, pass: false, score: 0, reason: "", note, usage };
      }
      messages = [
        ...prompt,
        new HumanMessage(
          `Your last answer could not be read: ${err.message}\nAnswer again with only the verdict object.`,
        ),
      ];
    }
  }
}

/** Step events of a revision are not the step's own (it finished once): the loop reports it instead. */
function quiet(run: StepRunOptions): StepRunOptions {
  return { ...run, emit: () => {} };
}

function addTokens(total: RoleUsage | null, add: RoleUsage): RoleUsage {
  if (!total) return { ...add };
  return {
    input_tokens: total.input_tokens + add.input_tokens,
    output_tokens: total.output_tokens + add.output_tokens,
    total_tokens: total.total_tokens + add.total_tokens,
    calls: total.calls + add.calls,
    model: add.model ?? total.model,
  };
}

/**
 * An error inside a draft or verdict task — a model connection that failed after the client's own
 * retries — carried out as an interrupt without payload. LangGraph saves an ordinary task error as
 * the task's result and replays it; for such an interrupt it saves nothing, so the task runs again
 * when the run is resumed. It also keeps the failure one error: the evaluator node unwraps it
 * ({@link unwrapDeferred}) and stops with the original.
 */
export class RetryOnResume extends GraphInterrupt {
  readonly retryOnResume = true;
  constructor(readonly error: unknown) {
    super([]);
  }
}

/** The error a reflection loop failed with, unwrapped from {@link RetryOnResume}. */
export function unwrapDeferred(err: unknown): unknown {
  return err instanceof RetryOnResume ? err.error : err;
}

/**
 * `task()` typed for an async function (its typings would otherwise nest the promise), whose
 * errors are {@link RetryOnResume}: retried on resume, never replayed.
 */
export function durable<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  const deferErrors = async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof RetryOnResume || isGraphBubbleUp(err)) throw err;
      throw new RetryOnResume(err);
    }
  };
  return task<A, Promise<R>>({ name }, deferErrors) as unknown as (...args: A) => Promise<R>;
}
