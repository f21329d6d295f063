import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { AIMessageChunk, BaseMessage } from "@langchain/core/messages";
import type { ChatGenerationChunk } from "@langchain/core/outputs";
import { isGraphBubbleUp, task, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { passBudget, stepsExecuted } from "../core/budget.js";
import { progressWriter } from "../core/events.js";
import type { Settings } from "../core/settings.js";
import {
  stepRecordOf,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  type StepRecord,
  type UsageByRole,
} from "../core/state.js";
import { Semaphore } from "../execution/semaphore.js";
import { watchWrites } from "../execution/durable-writes.js";
import { runStep, type StepOutcome } from "../execution/run-step.js";
import { invokeStructured, StructuredOutputError, textOf } from "../models/structured.js";
import { actionDigest } from "../plan/digest.js";
import { earlyStartBlocker } from "../plan/early.js";
import { clipRefusedPlan, limitIssues } from "../plan/limits.js";
import { decodePlan, WirePlanReadSchema, WirePlanSchema, type PlanStep } from "../plan/schema.js";
import { PlanStepReader } from "../plan/stream.js";
import { validatePlan, type ValidationContext } from "../plan/validate.js";
import { annotatedStepRun, stepRunName } from "../tracing/step-runs.js";
import type { StepInput } from "../tools/types.js";
import type { NodeDeps } from "./deps.js";
import { needsCritic } from "./evaluator.js";
import { blocked, crashLooped, rethrowControlFlow, stepRunOptions, toUpdate } from "./executor.js";
import type { Proposal } from "./planning.js";
import { priorUnfinishedStarts } from "../execution/start-markers.js";
import { allowStepListeners } from "../execution/listeners.js";

/** A proposal read from a stream, with the steps that started before it was complete. */
export interface StreamedProposal extends Proposal {
  /** Steps of this round that started early, in the order they started. */
  early: PlanStep[];
  /** Their outcomes as a node update (records, usage), ready to merge. */
  earlyUpdate: Pick<PlanExecuteUpdate, "steps" | "usage" | "audit">;
  /** Steps of the proposal that are early steps of an earlier round, unchanged (already finished). */
  kept: PlanStep[];
}

/** What a plan may build on besides earlier rounds' early steps (a recovery plan's). */
export interface PlanScope {
  /** Finished, judged steps the plan keeps, with their outputs: new steps may depend on and reference them. */
  finished?: readonly { step: PlanStep; output: unknown }[];
  /** Ids no new step may take (the run's failed, skipped or unfinished steps); a step that does never starts. */
  reservedIds?: readonly string[];
  /** An empty answer is valid (a recovery plan's "cannot recover"). */
  allowEmpty?: boolean;
}

/** Whether this run's planner streams: the setting is on and no person approves the plan first. */
export function plansStreaming(settings: Settings): boolean {
  return settings.planStreaming && settings.approvePlan === "never";
}

/**
 * Asks the model for a plan, streamed, and starts each step that is complete and valid on its own
 * (see `earlyStartBlocker`) while the rest is still being written: LLM-Compiler style. The answer
 * is then read and validated whole, exactly as without streaming; the steps that started early
 * are awaited here, and their outcomes come back with the proposal, so the planner's update
 * carries them and the executor finds them finished.
 *
 * Durability: each early step is a `task()` of the planner node, called in the order the steps
 * started, named after the step *and* a digest of its tool and args. After a crash mid-stream the
 * node runs again and the model is asked again: a step that comes back the same at the same place
 * finds its saved result, anything else runs anew. Only LOW (read-only) steps start early, so a
 * crash loses at most LOW work.
 */
export async function proposePlanStreaming(
  state: PlanExecuteStateType,
  config: LangGraphRunnableConfig,
  deps: NodeDeps,
  settings: Settings,
  messages: BaseMessage[],
  scope: PlanScope = {},
): Promise<StreamedProposal> {
  const passStarted = Date.now();
  // Early steps of earlier rounds (a refused plan's): finished, kept, usable by new steps.
  const earlier = new Map((state.earlySteps ?? []).map((s) => [s.id, s]));
  const kept = new Map((scope.finished ?? []).map((f) => [f.step.id, f.step]));
  const keptOutputs = new Map((scope.finished ?? []).map((f) => [f.step.id, f.output]));
  const outputs = new Map<string, unknown>(keptOutputs);
  for (const step of earlier.values()) {
    const record = stepRecordOf(state.steps, step.id);
    if (record?.status === "succeeded") outputs.set(step.id, record.output);
  }
  const emitted: PlanStep[] = [];
  const started = new Map<string, PlanStep>(earlier);
  // The runner adds each early step's output to its own copy; validation knows only earlier rounds'.
  const runner = earlyRunner(state, config, deps, settings, {
    outputs: new Map(outputs),
    stepOf: (id) => started.get(id) ?? kept.get(id),
    passStarted,
    executorModel: await deps.models("executor", settings),
  });
  // Ids no new step may take: the scope's, and earlier rounds' early steps that did not succeed.
  const reservedIds = new Set(
    [...(scope.reservedIds ?? []), ...earlier.keys()].filter((id) => !outputs.has(id)),
  );
  const startedNow: PlanStep[] = [];
  const eligibility = {
    tools: deps.tools,
    isLow: (tool: string) => deps.tools.riskOf(tool) === "LOW",
    maxSteps: settings.maxSteps,
    heldForCritic: (step: PlanStep) => needsCritic(step, deps.tools, settings),
    finished: keptOutputs,
    reservedIds,
  };
  // A step is released once the stream has moved past the chunk that completed it, or at the end of
  // a readable answer of which earlier steps started: an answer that came in one piece starts nothing.
  let held: PlanStep[] = [];
  const release = () => {
    for (const step of held) {
      const before = emitted.slice(0, emitted.indexOf(step));
      if (sameStep(step, earlier.get(step.id))) continue; // finished in an earlier round
      if (earlyStartBlocker(step, before, started, eligibility) !== null) continue;
      started.set(step.id, step);
      startedNow.push(step);
      starts.push(step);
    }
    held = [];
  };
  // Steps are started by this loop, not by the stream's callback: a `task()` must be called in the
  // node's own async context, which the model's callbacks do not run in.
  const starts = new WakeQueue<PlanStep>();
  const starting = starts.drain((step) => runner.start(step));
  const reader = new PlanStepReader((read) => {
    if (!read.step) return;
    emitted.push(read.step);
    held.push(read.step);
  });
  const tap = new PlanTextTap((text) => {
    release();
    reader.write(text);
  });

  let answer: { value: unknown; usage: Proposal["usage"] } | null = null;
  let unreadable: string | null = null;
  try {
    answer = await invokeStructured(await deps.models("planner", settings), WirePlanSchema, messages, {
      name: "plan",
      read: WirePlanReadSchema,
      config: { callbacks: [tap] },
    });
  } catch (err) {
    if (err instanceof StructuredOutputError) unreadable = err.message;
    // A stream that breaks off after part of the plan is a bad answer, like a cut-off one;
    // an error before any text, an abort or LangGraph's control flow is what it is.
    else if (reader.chars > 0 && !isGraphBubbleUp(err) && !config.signal?.aborted)
      unreadable = `the plan stream broke off after ${reader.chars} characters (${(err as Error).message})`;
    else {
      starts.close();
      await starting;
      await runner.settle();
      throw err;
    }
  }
  // The function call's arguments may be read leniently (a client completes cut-off JSON), so a
  // streamed answer that never closed or stopped being JSON is refused here, like a cut-off one.
  if (answer && reader.chars > 0 && (reader.problem !== null || !reader.complete)) {
    unreadable = reader.problem
      ? `the plan is not valid JSON (${reader.problem})`
      : `the plan's JSON never closed (the answer stopped after ${reader.chars} characters)`;
    answer = null;
  }
  // The steps of the last chunk start now too, unless nothing started early: an answer that came in
  // one piece then runs exactly as an unstreamed one (the executor starts it all).
  if (answer && startedNow.length > 0) release();
  starts.close();
  await starting;
  const settled = await runner.settle();
  rethrowControlFlow(settled);
  const byId = new Map(startedNow.map((s) => [s.id, s]));
  const update = toUpdate(settled, byId, deps, () => null);
  const ranIds = new Set(
    settled.flatMap((r) => (r.status === "fulfilled" && r.value.status !== "blocked" ? [r.value.id] : [])),
  );
  const ran = startedNow.filter((s) => ranIds.has(s.id));

  const validation: ValidationContext = {
    tools: deps.tools,
    maxSteps: settings.maxSteps,
    finished: outputs,
    reservedIds: [...reservedIds],
  };
  const base = { early: ran, earlyUpdate: update, usage: answer?.usage ?? null };
  if (!answer) {
    // The complete steps read before the answer went bad are what the model is shown to repair.
    return { ...base, steps: clipRefusedPlan(emitted), issues: [unreadable ?? "no answer"], kept: [] };
  }
  const decoded = decodePlan(answer.value as never);
  if (scope.allowEmpty && decoded.steps.length === 0) return { ...base, steps: [], issues: [], kept: [] };
  const again = decoded.steps.filter((s) => sameStep(s, earlier.get(s.id)));
  const fresh = decoded.steps.filter((s) => !again.includes(s));
  const issues = limitIssues([...decoded.errors, ...validatePlan(fresh, validation).map((i) => i.message)]);
  if (issues.length === 0) return { ...base, steps: fresh, issues, kept: again };
  return { ...base, steps: clipRefusedPlan(decoded.steps), issues, kept: again };
}

/** Starts early steps as durable tasks of the node, each waiting inside for its early dependencies. */
function earlyRunner(
  state: PlanExecuteStateType,
  config: LangGraphRunnableConfig,
  deps: NodeDeps,
  settings: Settings,
  known: {
    outputs: Map<string, unknown>;
    /** A step this round's steps may depend on: started early, or finished and kept. */
    stepOf(id: string): PlanStep | undefined;
    passStarted: number;
    executorModel: BaseChatModel;
  },
) {
  const { outputs, passStarted } = known;
  const emit = progressWriter(config.writer);
  const saver = watchWrites(config);
  const options = stepRunOptions(state, config, deps, settings, emit, known.executorModel);
  // Early steps run side by side like the executor's: as many as a plan may have.
  allowStepListeners(config.signal, settings.maxSteps);
  const limiter = new Semaphore(settings.maxConcurrency);
  const budget = passBudget(state, settings, passStarted);
  let stepsLeft = (settings.maxStepsExecuted ?? Infinity) - stepsExecuted(state.steps);
  const inFlight = new Map<string, Promise<StepOutcome>>();

  // Traced like the executor's steps, marked early; the plan they belong to is the next version.
  const runEarly = (step: PlanStep): Promise<StepOutcome> =>
    annotatedStepRun(
      {
        step_id: step.id,
        tool: step.tool,
        risk: deps.tools.riskOf(step.tool),
        plan_version: state.planVersion + 1,
        depends_on: step.depends_on,
        early: true,
      },
      () => runEarlyStep(step),
    );
  const runEarlyStep = async (step: PlanStep): Promise<StepOutcome> => {
    const dependencies: StepInput[] = [];
    for (const dep of step.depends_on) {
      if (!outputs.has(dep)) {
        const outcome = await inFlight.get(dep)?.catch(() => undefined);
        if (outcome?.status !== "succeeded") return blocked(step, `${dep} did not succeed`);
        outputs.set(dep, outcome.output);
      }
      const upstream = known.stepOf(dep);
      dependencies.push({
        id: dep,
        description: upstream?.description ?? "",
        tool: upstream?.tool,
        output: outputs.get(dep),
      });
    }
    return limiter.run(async () => {
      if (stepsLeft <= 0) return blocked(step, "the step budget is used up");
      const reached = budget.reached();
      if (reached.length > 0) return blocked(step, `budget reached: ${reached.join(", ")}`);
      stepsLeft -= 1;
      const crashes = await priorUnfinishedStarts(step.id, saver);
      if (crashes >= settings.maxStepCrashes) return crashLooped(step, crashes, emit);
      return runStep(step, dependencies, outputs, options);
    });
  };

  return {
    start(step: PlanStep): void {
      // The digest in the name: after a crash, a step that came back different is not mistaken
      // for the one saved at the same call position.
      const name = `${stepRunName(step)} · early ${actionDigest(step.tool, { id: step.id, args: step.args, deps: step.depends_on }).slice(0, 8)}`;
      const call = task<[PlanStep], Promise<StepOutcome>>({ name }, runEarly) as unknown as (
        s: PlanStep,
      ) => Promise<StepOutcome>;
      const outcome = call(step);
      outcome.then(
        (o) => {
          if ("usage" in o && o.usage) budget.add({ executor: o.usage });
        },
        () => {},
      );
      inFlight.set(step.id, outcome);
    },
    /** Every early step's end (LangGraph's control flow included, as rejections). */
    settle(): Promise<PromiseSettledResult<StepOutcome>[]> {
      return Promise.allSettled(inFlight.values());
    },
  };
}

/** A queue one loop drains as items arrive, in the async context the loop was started in. */
class WakeQueue<T> {
  #items: T[] = [];
  #closed = false;
  #wake: (() => void) | null = null;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async drain(take: (item: T) => void): Promise<void> {
    for (;;) {
      while (this.#items.length > 0) take(this.#items.shift() as T);
      if (this.#closed) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}

/** The same step: id, tool, args and dependencies (descriptions may be reworded). */
function sameStep(a: PlanStep, b: PlanStep | undefined): boolean {
  if (!b) return false;
  return (
    a.id === b.id &&
    actionDigest(a.tool, { args: a.args, deps: [...a.depends_on].sort() }) ===
      actionDigest(b.tool, { args: b.args, deps: [...b.depends_on].sort() })
  );
}

/**
 * Hears the planner's answer as it is generated. `lc_prefer_streaming` makes `invoke()` stream
 * the response (as LangGraph's own "messages" handler does), so the request and the final parsing
 * stay those of an ordinary structured-output call. The text is the function call's arguments, or
 * the content for a provider answering in a JSON response format.
 */
class PlanTextTap extends BaseCallbackHandler {
  name = "plan-text-tap";
  lc_prefer_streaming = true;
  override awaitHandlers = true;

  constructor(private readonly onText: (text: string) => void) {
    super();
  }

  override handleLLMNewToken(
    token: string,
    _idx: unknown,
    _runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: { chunk?: unknown },
  ): void {
    const message = (fields?.chunk as ChatGenerationChunk | undefined)?.message as AIMessageChunk | undefined;
    const args = (message?.tool_call_chunks ?? []).map((c) => c.args ?? "").join("");
    this.onText(args !== "" ? args : message ? textOf(message) : token);
  }
}

/** What the steps that started early add to the planner's or replanner's update (nothing without streaming). */
export function earlyParts(state: PlanExecuteStateType, streamed: StreamedProposal | null) {
  const update = streamed?.earlyUpdate;
  return {
    steps: [...(state.earlySteps ?? []), ...(streamed?.early ?? [])],
    records: (update?.steps ?? {}) as Record<string, Partial<StepRecord> & { id: string }>,
    usage: (update?.usage ?? {}) as UsageByRole,
    audit: (update?.audit ?? []) as never[],
  };
}

/** For a repair round: the steps that already ran, which the new plan may keep but not redo. */
export function earlyStepsNote(state: PlanExecuteStateType): string[] {
  if (!state.earlySteps?.length) return [];
  const ids = state.earlySteps.map((s) => s.id).join(", ");
  return [
    `Steps ${ids} already ran while the plan was being written; their results are kept. Keep each of them ` +
      "unchanged (same id, tool, args and depends_on) if the plan needs it, or leave it out; never give its id to another step.",
  ];
}
